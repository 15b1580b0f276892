#!/usr/bin/env python3
"""Make the captures of 6LoWPAN over links other than IEEE 802.15.4 in pcaps/6lo-links/.

Each frame is built field by field from the RFC that carries 6LoWPAN over the link; the
6LoWPAN payloads are IPHC (RFC 6282) with both addresses elided, so that the IPv6 addresses
come from the link addresses by the RFC's interface identifier rule for that link, and the
ICMPv6 and UDP checksums are computed over those addresses.

  mstp.pcap      BACnet MS/TP, link type 165 (RFC 8163; ASHRAE 135 Clause 9)
  nfc-llcp.pcap  NFC LLCP, link type 245 (RFC 9428; NFC Forum LLCP)
  g9959.pcap     ITU-T G.9959 R1/R2 (Z-Wave), link type 261 (RFC 7428)

Only the standard library. Deterministic: re-running gives byte-identical files.

Usage:
    python3 pcaps/links-6lo.py [--out DIR]
"""

import argparse
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000800 + i, 0, len(frame), len(frame)))
            f.write(frame)


def short_iid_addr(a):
    """fe80:: with the IID of a short address: 0000:00ff:fe00:XXXX (RFC 4944 §6), which
    RFC 8163 §6 (8-bit MAC), RFC 9428 §3.3 (6-bit SSAP) and RFC 7428 §3.2 (8-bit NodeID) use."""
    return bytes.fromhex("fe80000000000000000000fffe00") + struct.pack(">H", a)


def csum(src, dst, nh, upper):
    data = src + dst + struct.pack(">IxxxB", len(upper), nh) + upper
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return 0xFFFF - s


def iphc_echo(src, dst, request, ident, seq, data):
    """IPHC 0x7a33: TF=11 (elided), NH=0 (inline: 58), HLIM=10 (64), CID=0, SAC=0 SAM=11,
    M=0 DAC=0 DAM=11: both addresses from the link; then the ICMPv6 echo."""
    s, d = short_iid_addr(src), short_iid_addr(dst)
    icmp = struct.pack(">BBHHH", 128 if request else 129, 0, 0, ident, seq) + data
    c = csum(s, d, 58, icmp)
    icmp = icmp[:2] + struct.pack(">H", c) + icmp[4:]
    return b"\x7a\x33" + b"\x3a" + icmp


def iphc_rs(src):
    """IPHC 0x7a3b: as above but M=1 DAM=11: destination ff02::2 in one octet (0x02); an
    ICMPv6 Router Solicitation with no options."""
    s = short_iid_addr(src)
    d = bytes.fromhex("ff020000000000000000000000000002")
    icmp = struct.pack(">BBHI", 133, 0, 0, 0)
    c = csum(s, d, 58, icmp)
    icmp = icmp[:2] + struct.pack(">H", c) + icmp[4:]
    return b"\x7a\x3b" + b"\x3a" + b"\x02" + icmp


def uncompressed_udp(src, dst, sport, dport, payload):
    """Dispatch 0x41 (uncompressed IPv6, RFC 4944 §5.1) + UDP, hop limit 64."""
    s, d = short_iid_addr(src), short_iid_addr(dst)
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum(s, d, 17, udp) or 0xFFFF
    udp = udp[:6] + struct.pack(">H", c) + udp[8:]
    return b"\x41" + struct.pack(">IHBB", 0x60000000, len(udp), 17, 64) + s + d + udp


# ---------------------------------------------------------------------------------------
# BACnet MS/TP (RFC 8163 §4; ASHRAE 135 Clause 9.3, 9.10, Annex G)


def crc8_header(data):
    """Header CRC: x^8 + x^7 + 1, LSB first, initial 0xFF, sent complemented (Annex G.1)."""
    crc = 0xFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x81 if crc & 1 else crc >> 1
    return crc ^ 0xFF


def crc16_data(data):
    """Data CRC: CRC-CCITT LSB first, initial 0xFFFF, sent complemented, low octet first
    (Annex G.2)."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def crc32k(data):
    """CRC-32K (Koopman), reflected polynomial 0xEB31D82E, initial 0xFFFFFFFF, complemented
    (Annex G.3)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEB31D82E if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def cobs_encode(data, mask=0x55):
    """COBS (Clause 9.10.1) with every output octet XORed with 0x55."""
    out = bytearray([0])
    code_at, code = 0, 1
    for b in data:
        if b:
            out.append(b ^ mask)
            code += 1
            if code != 0xFF:
                continue
        out[code_at] = code ^ mask
        code_at, code = len(out), 1
        out.append(0)
    out[code_at] = code ^ mask
    return bytes(out)


def mstp(frame_type, dst, src, data=b"", bad_crc=False):
    if frame_type >= 32 and data:
        enc = cobs_encode(data)
        crc = crc32k(enc)
        if bad_crc:
            crc ^= 1
        enc_crc = cobs_encode(struct.pack("<I", crc))
        body = enc + enc_crc
        length = len(body) - 2  # Length counts both encoded fields less two (Clause 9.3)
    elif data:
        crc = crc16_data(data) ^ (1 if bad_crc else 0)
        body = data + struct.pack("<H", crc)
        length = len(data)
    else:
        body, length = b"", 0
    head = struct.pack(">BBBH", frame_type, dst, src, length)
    return b"\x55\xff" + head + bytes([crc8_header(head)]) + body


def mstp_frames():
    big = bytes((i % 250) + 1 for i in range(300)) + b"\0\0" + bytes(range(1, 40))
    return [
        mstp(0, 4, 3),  # Token from 3 to 4
        mstp(34, 4, 3, iphc_echo(3, 4, True, 0x6c6f, 1, b"6LoBAC")),  # echo request 3 -> 4
        mstp(34, 3, 4, iphc_echo(4, 3, False, 0x6c6f, 1, b"6LoBAC")),  # echo reply 4 -> 3
        mstp(34, 255, 3, iphc_rs(3)),  # RS 3 -> broadcast (ff02::2)
        mstp(34, 4, 3, uncompressed_udp(3, 4, 47808, 47808, big)),  # 300-octet run: COBS 0xFF block
        mstp(6, 4, 3, bytes.fromhex("0100100801")),  # BACnet NPDU (not 6LoWPAN), CRC-16
        mstp(34, 4, 3, iphc_echo(3, 4, True, 0x6c6f, 2, b"bad"), bad_crc=True),  # CRC-32K wrong
    ]


# ---------------------------------------------------------------------------------------
# NFC LLCP (RFC 9428 §3.4; link type 245: adapter, flags (bit 0: received))


def llcp(dsap, ptype, ssap, info=b"", seq=None, received=True):
    hdr = struct.pack(">H", (dsap << 10) | (ptype << 6) | ssap)
    return bytes([0, 1 if received else 0]) + hdr + (bytes([seq]) if seq is not None else b"") + info


def nfc_frames():
    return [
        llcp(0, 0, 0),  # SYMM
        llcp(0x21, 3, 0x20, iphc_echo(0x20, 0x21, True, 0x4e46, 1, b"NFC")),  # UI 0x20 -> 0x21
        llcp(0x20, 12, 0x21, iphc_echo(0x21, 0x20, False, 0x4e46, 1, b"NFC"), seq=0x10, received=False),  # I, N(S)=1 N(R)=0
    ]


# ---------------------------------------------------------------------------------------
# ITU-T G.9959 R1/R2 (RFC 7428 §3; link type 261)


def g9959(home_id, src, dst, seq, payload, header_type=1, ack_req=True, bad=False):
    fc = bytes([(0x40 if ack_req else 0) | header_type, seq & 0x0F])
    body = home_id + bytes([src]) + fc + bytes([9 + len(payload) + 1, dst]) + payload
    x = 0xFF
    for b in body:
        x ^= b
    return body + bytes([x ^ (1 if bad else 0)])


def g9959_frames():
    home = bytes.fromhex("c0ffee01")
    return [
        g9959(home, 1, 2, 1, iphc_echo(1, 2, True, 0x5a57, 1, b"Z")),  # node 1 -> 2
        g9959(home, 2, 1, 2, iphc_echo(2, 1, False, 0x5a57, 1, b"Z")),  # node 2 -> 1
        g9959(home, 1, 2, 3, b"", header_type=3, ack_req=False),  # acknowledgement
        g9959(home, 1, 2, 4, iphc_echo(1, 2, True, 0x5a57, 2, b"Z"), bad=True),  # checksum wrong
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(HERE, "6lo-links"))
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, lt, frames in [
        ("mstp.pcap", 165, mstp_frames()),
        ("nfc-llcp.pcap", 245, nfc_frames()),
        ("g9959.pcap", 261, g9959_frames()),
    ]:
        write_pcap(os.path.join(a.out, name), lt, frames)
        print(f"{name}: {len(frames)} frames")


if __name__ == "__main__":
    sys.exit(main())
