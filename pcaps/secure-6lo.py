#!/usr/bin/env python3
"""Make the secured 802.15.4 captures in pcaps/6lo-sec/ from the clear ones in pcaps/6lo/.

Every data frame of the input is re-sent with MAC security (IEEE 802.15.4-2006 §7.6 /
802.15.4-2015 §9): the Security Enabled bit set, an auxiliary security header inserted after
the addressing fields, the payload encrypted with AES-CCM* and the MIC appended, the FCS
recomputed. The cipher is Python's `cryptography` (AESCCM with a 4-, 8- or 16-octet tag for
levels 5-7 and 1-3, AES-CTR on CCM*'s counter blocks for level 4): an implementation
independent of the Rust decoder. Only the standard library besides.

Usage:
    python3 pcaps/secure-6lo.py [--out DIR]

Deterministic: the frame counters, keys and timestamps are fixed, so re-running gives
byte-identical files. See pcaps/README.md ("Secured 802.15.4") for the keys and what each file
holds.
"""

import argparse
import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

HERE = os.path.dirname(os.path.abspath(__file__))

# The keys (also in pcaps/README.md and the tests).
KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
# Thread 1.1 §7.1.4 test vectors' network key.
THREAD_NETWORK_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")

# Extended addresses of the short ones the captures use (nodes A and B of pcaps/README.md),
# learnt from association responses sent by a coordinator.
COORDINATOR = bytes.fromhex("00124b0000000000")
SHORT_TO_EXT = {
    0x0001: bytes.fromhex("00124b0000010203"),
    0x0002: bytes.fromhex("00124b0000040506"),
}


def crc16_kermit(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, path
    frames = []
    off = 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off : off + 16])
        off += 16
        frames.append((sec, usec, data[off : off + incl]))
        off += incl
    return linktype, frames


def write_pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for sec, usec, frame in frames:
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def mhr(frame):
    """(fcf, header length, source address as (mode, bytes big-endian), src PAN) of a 2003/2006
    frame."""
    fcf = struct.unpack("<H", frame[:2])[0]
    dmode, smode = (fcf >> 10) & 3, (fcf >> 14) & 3
    comp = fcf & 0x40
    off = 3
    dst_pan = None
    if dmode:
        dst_pan = struct.unpack("<H", frame[off : off + 2])[0]
        off += 2 + (2 if dmode == 2 else 8)
    src_pan = dst_pan
    if smode:
        if not comp:
            src_pan = struct.unpack("<H", frame[off : off + 2])[0]
            off += 2
        n = 2 if smode == 2 else 8
        src = frame[off : off + n][::-1]
        off += n
    else:
        src = b""
    return fcf, off, (smode, src), src_pan


def nonce(ext, counter, level):
    return ext + struct.pack(">IB", counter, level)


def aux_header(level, kim, counter, key_index, key_source=b""):
    return bytes([level | (kim << 3)]) + struct.pack("<I", counter) + key_source + (
        bytes([key_index]) if kim else b""
    )


def ccm_star(key, n, level, a, m):
    """(private payload as sent, MIC)."""
    mic_len = {0: 0, 1: 4, 2: 8, 3: 16}[level & 3]
    if level & 4:
        if mic_len == 0:
            # CCM* with M = 0: CTR on A_i = flags (L-1 = 1) || nonce || i, i from 1.
            enc = Cipher(algorithms.AES(key), modes.CTR(b"\x01" + n + b"\x00\x01")).encryptor()
            return enc.update(m) + enc.finalize(), b""
        out = AESCCM(key, tag_length=mic_len).encrypt(n, m, a)
        return out[:-mic_len], out[-mic_len:]
    # MIC only: everything is authenticated data.
    return m, AESCCM(key, tag_length=mic_len).encrypt(n, b"", a + m)


def secure(frame, key, level, kim, counter, key_index=1, key_source=b"", fcs=True):
    """The frame (with its 2-octet FCS when `fcs`) secured, FCS recomputed; None for frames
    that are not data frames."""
    body = frame[:-2] if fcs else frame
    fcf, hl, (smode, src), src_pan = mhr(body)
    if fcf & 7 != 1:
        return None
    ext = src if smode == 3 else SHORT_TO_EXT[struct.unpack(">H", src)[0]]
    # Security Enabled, frame version 2006 (security needs 2006 or later).
    fcf = (fcf | 0x0008) & ~0x3000 | 0x1000
    head = struct.pack("<H", fcf) + body[2:hl] + aux_header(level, kim, counter, key_index, key_source)
    payload, mic = ccm_star(key, nonce(ext, counter, level), level, head, body[hl:])
    out = head + payload + mic
    return out + struct.pack("<H", crc16_kermit(out)) if fcs else out


def association_response(seq, pan, device, short, fcs=True):
    """MAC command 0x02 from the coordinator to `device` (extended), allocating `short`."""
    fcf = 0x0003 | 0x0020 | 0x0040 | (3 << 10) | (1 << 12) | (3 << 14)
    body = (
        struct.pack("<HBH", fcf, seq, pan)
        + device[::-1]
        + COORDINATOR[::-1]
        + bytes([0x02])
        + struct.pack("<HB", short, 0)
    )
    return body + struct.pack("<H", crc16_kermit(body)) if fcs else body


def thread_mac_key(sequence):
    d = hmac.new(THREAD_NETWORK_KEY, struct.pack(">I", sequence) + b"Thread", hashlib.sha256).digest()
    return d[16:]


def thread_mle_key(sequence):
    d = hmac.new(THREAD_NETWORK_KEY, struct.pack(">I", sequence) + b"Thread", hashlib.sha256).digest()
    return d[:16]


MLE_PORT = 19788
# Thread nodes of the MLE capture: a router and a child joining it (extended addresses).
MLE_ROUTER = bytes.fromhex("00124b0000010203")
MLE_CHILD = bytes.fromhex("00124b00000a0b0c")


def link_local(ext):
    """fe80::/64 with the EUI-64 interface identifier (U/L bit inverted, RFC 4291 App. A)."""
    return bytes.fromhex("fe80000000000000") + bytes([ext[0] ^ 0x02]) + ext[1:]


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_datagram(src, dst, sport, dport, payload):
    """An uncompressed IPv6 datagram (hop limit 255, as MLE sends) carrying UDP."""
    length = 8 + len(payload)
    pseudo = src + dst + struct.pack(">IxxxB", length, 17)
    udp = struct.pack(">HHHH", sport, dport, length, 0) + payload
    c = 0xFFFF - ones_complement_sum(pseudo + udp)
    udp = udp[:6] + struct.pack(">H", c or 0xFFFF) + udp[8:]
    return struct.pack(">IHBB", 0x60000000, length, 17, 255) + src + dst + udp


def tlv(t, value):
    return bytes([t, len(value)]) + value


def mle_secured(src, dst, sequence, counter, command, tlvs, tamper=False):
    """An MLE message secured as Thread 1.1 §4.3 says: security suite 0, auxiliary header with
    security level 5 and key identifier mode 2 (key source = key sequence, big-endian; Key
    Index = sequence mod 128 + 1), command and TLVs encrypted with the MLE key, 4-octet MIC
    over IPv6 source || IPv6 destination || auxiliary header, nonce from the sender's extended
    address (the IPv6 source's IID with the U/L bit flipped back)."""
    aux = bytes([5 | (2 << 3)]) + struct.pack("<I", counter) + struct.pack(">I", sequence)
    aux += bytes([(sequence & 0x7F) + 1])
    ext = bytes([src[8] ^ 0x02]) + src[9:16]
    out = AESCCM(thread_mle_key(sequence), tag_length=4).encrypt(
        nonce(ext, counter, 5), bytes([command]) + b"".join(tlvs), src + dst + aux
    )
    if tamper:
        out = out[:-1] + bytes([out[-1] ^ 0x80])
    return b"\x00" + aux + out


def wpan_data(seq, src_ext, dst, payload):
    """802.15.4-2006 data frame, PAN 0xabcd (compressed), extended source, extended or
    broadcast destination, 6LoWPAN uncompressed IPv6 dispatch (0x41), FCS."""
    dmode = 3 if len(dst) == 8 else 2
    fcf = 0x0001 | 0x0040 | (dmode << 10) | (1 << 12) | (3 << 14)
    body = struct.pack("<HBH", fcf, seq, 0xABCD) + dst[::-1] + src_ext[::-1] + b"\x41" + payload
    return body + struct.pack("<H", crc16_kermit(body))


def mle_capture():
    """MLE messages of a child attaching to a router, secured with MLE keys of several key
    sequences, one unsecured, one whose MIC was changed in transit."""
    r_ll, c_ll = link_local(MLE_ROUTER), link_local(MLE_CHILD)
    all_routers = bytes.fromhex("ff020000000000000000000000000002")
    all_nodes = bytes.fromhex("ff020000000000000000000000000001")
    bcast = struct.pack(">H", 0xFFFF)
    challenge = bytes(range(1, 9))
    leader = bytes.fromhex("0000000140" "00" "3f" "00")  # partition id, weighting, versions, leader router id
    msgs = [
        # (from, to, mac dst, key sequence or None, counter, command, tlvs)
        (c_ll, all_routers, bcast, 0, 100, 9,
         [tlv(1, b"\x0f"), tlv(3, challenge), tlv(14, b"\x80"), tlv(18, b"\x00\x02")]),
        (r_ll, c_ll, MLE_CHILD, 0, 200, 10,
         [tlv(0, b"\x04\x00"), tlv(11, leader), tlv(5, struct.pack(">I", 7)),
          tlv(8, struct.pack(">I", 201)), tlv(4, challenge), tlv(3, bytes(range(9, 17))),
          tlv(16, b"\x1e"), tlv(15, bytes.fromhex("40010000000000")), tlv(18, b"\x00\x02")]),
        (c_ll, r_ll, MLE_ROUTER, 1, 101, 11,
         [tlv(4, bytes(range(9, 17))), tlv(5, struct.pack(">I", 9)), tlv(1, b"\x0f"),
          tlv(2, struct.pack(">I", 240)), tlv(18, b"\x00\x02"), tlv(13, b"\x0a\x0c\x09")]),
        (r_ll, c_ll, MLE_CHILD, 1, 202, 12,
         [tlv(0, b"\x04\x00"), tlv(10, b"\x04\x01"), tlv(11, leader), tlv(12, b""),
          tlv(2, struct.pack(">I", 240))]),
        (r_ll, all_nodes, bcast, 0x80, 203, 4,
         [tlv(0, b"\x04\x00"), tlv(11, leader), tlv(9, bytes.fromhex("00800000000000000011"))]),
        (c_ll, all_nodes, bcast, None, 0, 16, [tlv(26, tlv(128, b"\x10\x00"))]),
        (c_ll, r_ll, MLE_ROUTER, 1, 102, 0, [tlv(3, challenge), tlv(18, b"\x00\x02")]),
        (r_ll, c_ll, MLE_CHILD, 2, 204, 8, [tlv(0, b"\x04\x00"), tlv(12, b"")]),
    ]
    frames = []
    for i, (src, dst, mac_dst, seq, counter, command, tlvs) in enumerate(msgs):
        if seq is None:
            mle = b"\xff" + bytes([command]) + b"".join(tlvs)
        else:
            mle = mle_secured(src, dst, seq, counter, command, tlvs, tamper=(i == 6))
        sender = MLE_ROUTER if src == r_ll else MLE_CHILD
        f = wpan_data(0x30 + i, sender, mac_dst, udp_datagram(src, dst, MLE_PORT, MLE_PORT, mle))
        frames.append((1700000700 + i, 0, f))
    return frames


def build(out):
    os.makedirs(out, exist_ok=True)
    src = os.path.join(HERE, "6lo")
    made = {}

    def learn_first(frames, lt):
        """Association responses for the short addresses, stamped just before the first frame."""
        sec, usec, _ = frames[0]
        return [
            (sec - 1, usec, association_response(0xA0 + i, 0xABCD, ext, short, lt == 195))
            for i, (short, ext) in enumerate(sorted(SHORT_TO_EXT.items()))
        ]

    # Files 1-5 start with association responses for short addresses 0x0001 and 0x0002 in PAN
    # 0xabcd, which is how a receiver learns their extended addresses for the nonce.
    # 1. Levels 5, 6, 7 in turn, key identifier mode 1, Key Index 1: a fragmented ICMPv6 echo.
    lt, frames = read_pcap(os.path.join(src, "frag-icmpv6-echo.pcap"))
    res = learn_first(frames, lt)
    for i, (s, u, f) in enumerate(frames):
        res.append((s, u, secure(f, KEY, 5 + i % 3, 1, 1000 + i, fcs=lt == 195) or f))
    made["enc-mic-levels.pcap"] = (lt, res)

    # 2. Key identifier modes 0, 1, 2, 3 in turn, level 5: a fragmented UDP datagram.
    lt, frames = read_pcap(os.path.join(src, "frag-udp.pcap"))
    res = learn_first(frames, lt)
    for i, (s, u, f) in enumerate(frames):
        kim = i % 4
        source = {2: bytes.fromhex("00000001"), 3: bytes.fromhex("00124b00000000ff")}.get(kim, b"")
        res.append((s, u, secure(f, KEY, 5, kim, 2000 + i, 1, source, fcs=lt == 195) or f))
    made["key-id-modes.pcap"] = (lt, res)

    # 3. MIC only (levels 1, 2, 3 in turn), from short and extended sources: the short ones'
    #    extended addresses come from the association responses in front.
    lt, frames = read_pcap(os.path.join(src, "iphc-forms.pcap"))
    res = learn_first(frames, lt)
    for i, (s, u, f) in enumerate(frames):
        res.append((s, u, secure(f, KEY, 1 + i % 3, 1, 3000 + i, fcs=lt == 195) or f))
    made["mic-only.pcap"] = (lt, res)

    # 4. Level 4 (encryption without MIC), key identifier mode 1.
    lt, frames = read_pcap(os.path.join(src, "hc1.pcap"))
    res = [(s, u, secure(f, KEY, 4, 1, 4000 + i, fcs=lt == 195) or f) for i, (s, u, f) in enumerate(frames)]
    made["enc-only.pcap"] = (lt, res)

    # 5. Thread: MAC keys derived from the network key, key sequences 0 and 1 in turn (Key
    #    Index 1 and 2), level 5, key identifier mode 1, as Thread sends data frames.
    lt, frames = read_pcap(os.path.join(src, "ipv6-uncompressed.pcap"))
    res = learn_first(frames, lt)
    for i, (s, u, f) in enumerate(frames):
        seq = i % 2
        res.append((s, u, secure(f, thread_mac_key(seq), 5, 1, 5000 + i, seq + 1, fcs=lt == 195) or f))
    made["thread.pcap"] = (lt, res)

    # 6. What cannot be decoded: frames from short addresses with no association response in
    #    the capture (no extended address for the nonce), a frame whose MIC was changed in
    #    transit, a frame secured with a key nobody has (Key Index 2).
    lt, frames = read_pcap(os.path.join(src, "ext-headers.pcap"))
    res = []
    for i, (s, u, f) in enumerate(frames):
        g = secure(f, KEY, 5, 1, 6000 + i, fcs=lt == 195)
        if g is not None and i == 0:
            g = bytearray(g)
            g[-3] ^= 0x01  # last MIC octet
            body = bytes(g[:-2])
            g = body + struct.pack("<H", crc16_kermit(body))
        if g is not None and i == len(frames) - 1:
            g = secure(f, bytes(16), 5, 1, 6000 + i, 2, fcs=lt == 195)
        res.append((s, u, g or f))
    made["failures.pcap"] = (lt, res)

    # 7. MLE's own security (Thread 1.1 §4.3): clear 802.15.4 frames whose MLE messages are
    #    secured with the MLE keys of key sequences 0, 1, 2 and 128.
    made["mle.pcap"] = (195, mle_capture())

    for name, (lt, fr) in made.items():
        write_pcap(os.path.join(out, name), lt, fr)
        print(f"{name}: {len(fr)} frames")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(HERE, "6lo-sec"))
    a = p.parse_args()
    build(a.out)


if __name__ == "__main__":
    sys.exit(main())
