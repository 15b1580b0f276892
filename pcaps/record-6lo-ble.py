#!/usr/bin/env python3
"""Record the project's own 6LoWPAN-over-Bluetooth-LE captures into pcaps/6lo-ble/.

Generator: scapy==2.8.0 (PyPI `scapy`; scapy.layers.bluetooth4LE for the link
layer — BTLE_RF, BTLE, BTLE_ADV, BTLE_CONNECT_REQ, BTLE_DATA, BTLE_CTRL —,
scapy.layers.bluetooth for L2CAP signalling and HCI events, scapy.layers.inet6
for the IPv6 datagrams and their checksums), an implementation independent of
the Rust code. Second opinion: tshark 4.0.17 (the tests in cli/tests/sixlo_ble.rs).

Usage:
    python3 pcaps/record-6lo-ble.py [--out DIR]

Everything is deterministic: fixed addresses, timestamps, payloads; no
randomness; pcap files little-endian with microsecond timestamps. Re-running
gives byte-identical files.

There is no public corpus of IPv6-over-Bluetooth-LE captures; these stand in
for one. What each file holds is in pcaps/README.md ("6LoWPAN over Bluetooth
LE"). The 6LoWPAN IPHC headers are written here by hand (RFC 6282 §3.1, the
forms listed per datagram below), because scapy's LoWPAN_IPHC derives elided
addresses only from an 802.15.4 MAC header; RFC 7668 §3.2.2 derives them from
the 48-bit Bluetooth device address (0xFFFE in the middle, no bit changed).

SCAPY WORKAROUNDS (scapy 2.8.0):
  * BTLE computes its CRC with the advertising preset 0x555555 whatever the
    channel; data-channel packets get BTLE.compute_crc(pdu, CRCInit) set
    explicitly.
  * There is no nRF Sniffer layer: its header (protocol version 2) is packed
    by hand, as are the H4 direction header, the Linux monitor header and the
    HCI ACL header (a 12-bit handle and two 2-bit flags, little-endian).

The pin matters: scapy releases before 2.8.0 pack CONNECT_IND's AA and
CRCInit big-endian (XIntField, X3BytesField); 2.8.0 packs them as the air
carries them, least significant octet first (Core 5.3 Vol 6 Part B §2.3.3.1).
  * L2CAP LE credit-based signalling uses scapy's
    L2CAP_LE_Credit_Based_Connection_Request/Response.
"""

import argparse
import os
import struct

from scapy.compat import raw
from scapy.layers.bluetooth import (
    HCI_Event_Hdr,
    HCI_Event_LE_Meta,
    HCI_LE_Meta_Connection_Complete,
    L2CAP_CmdHdr,
    L2CAP_LE_Credit_Based_Connection_Request,
    L2CAP_LE_Credit_Based_Connection_Response,
)
from scapy.layers.bluetooth4LE import BTLE, BTLE_ADV, BTLE_CONNECT_REQ, BTLE_RF
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_RS
from scapy.packet import Raw

AA = 0x50654C71  # the connection's access address
CRC_INIT = 0x123456  # CRCInit as the air carries it (little-endian)
ADV_AA = 0x8E89BED6
CENTRAL = "c0:ff:ee:00:00:01"  # static random (two top bits 11)
PERIPHERAL = "00:1b:dc:06:5b:2a"  # public
HOST = "00:1a:7d:da:71:13"  # HCI captures: this host (public, from Read_BD_ADDR / New Index)
PEER = "c0:ff:ee:00:00:02"  # HCI captures: the peer (random)
IPSP = 0x0023
CENTRAL_CID, PERIPHERAL_CID = 0x0040, 0x0041
CENTRAL_MPS, PERIPHERAL_MPS = 247, 100
LL_MAX = 27  # LL data PDU payload without Data Length Extension
ACL_MAX = 27  # the controller's LE ACL buffer size in the HCI captures
T0 = 1700000900  # 2023-11-14 22:28:20 UTC


def iid(bd):
    b = bytes.fromhex(bd.replace(":", ""))
    return b[:3] + b"\xff\xfe" + b[3:]


def ll_addr(bd):
    """fe80:: + the RFC 7668 §3.2.2 IID of a device address."""
    i = iid(bd)
    return "fe80::" + ":".join(i[k:k + 2].hex() for k in range(0, 8, 2))


# --- 6LoWPAN IPHC by hand (RFC 6282 §3.1) ----------------------------------


def iphc(pkt, sam, dam, nhc_udp=False):
    """Compress an IPv6 datagram built by scapy: TF=11 (traffic class and flow
    label 0, elided), NH inline (or NHC UDP with ports and checksum inline,
    RFC 6282 §4.3), HLIM 64/255 compressed or inline, SAC=DAC=0; SAM/DAM
    00 (128 bits inline), 01 (IID inline), 11 (elided, from the link); a
    multicast ff02::XX destination with M=1 DAM=11 (8 bits)."""
    b = raw(pkt)
    assert b[0] == 0x60 and b[1] == 0 and b[2] == 0 and b[3] == 0, "TF=11 needs TC and FL 0"
    nh, hlim = b[6], b[7]
    src, dst = b[8:24], b[24:40]
    hl_code = {1: 1, 64: 2, 255: 3}.get(hlim, 0)
    nh_bit = 1 if nhc_udp else 0
    b0 = 0x60 | (0b11 << 3) | (nh_bit << 2) | hl_code
    m = 1 if dst[0] == 0xFF else 0
    b1 = (sam << 4) | (m << 3) | dam
    out = bytes([b0, b1])
    if not nhc_udp:
        out += bytes([nh])
    if hl_code == 0:
        out += bytes([hlim])
    out += {0: src, 1: src[8:], 3: b""}[sam]
    if m:
        assert dam == 3 and dst[:15] == bytes.fromhex("ff02") + bytes(13)
        out += dst[15:]
    else:
        out += {0: dst, 1: dst[8:], 3: b""}[dam]
    rest = b[40:]
    if nhc_udp:
        assert nh == 17
        out += bytes([0xF0]) + rest[0:4] + rest[6:8] + rest[8:]
    else:
        out += rest
    return out


# --- Link layer ---------------------------------------------------------------


class Conn:
    """One connection: SN/NESN per direction (Core 5.3 Vol 6 Part B §4.5.9)."""

    def __init__(self):
        self.sn = {"c": 0, "p": 0}
        self.heard = {"c": None, "p": None}

    def data(self, who, llid, payload):
        other = "p" if who == "c" else "c"
        sn = self.sn[who]
        self.sn[who] ^= 1
        nesn = 0 if self.heard[who] is None else self.heard[who] ^ 1
        self.heard[other] = sn
        h0 = llid | (nesn << 2) | (sn << 3)
        pdu = bytes([h0, len(payload)]) + payload
        crc = BTLE.compute_crc(pdu, CRC_INIT)
        return raw(BTLE(access_addr=AA, crc=int.from_bytes(crc, "big")) / Raw(pdu))


def connect_ind():
    p = (
        BTLE(access_addr=ADV_AA)
        / BTLE_ADV(TxAdd=1, RxAdd=0)
        / BTLE_CONNECT_REQ(
            InitA=CENTRAL,
            AdvA=PERIPHERAL,
            AA=AA,
            crc_init=CRC_INIT,
            win_size=2,
            win_offset=0,
            interval=24,
            latency=0,
            timeout=400,
            chM=0x1FFFFFFFFF,
            SCA=5,
            hop=5,
        )
    )
    return raw(p)


def l2cap(cid, info):
    return struct.pack("<HH", len(info), cid) + info


def signalling():
    req = raw(
        L2CAP_CmdHdr(code=0x14, id=1)
        / L2CAP_LE_Credit_Based_Connection_Request(
            spsm=IPSP, scid=CENTRAL_CID, mtu=1280, mps=CENTRAL_MPS, initial_credits=10
        )
    )
    rsp = raw(
        L2CAP_CmdHdr(code=0x15, id=1)
        / L2CAP_LE_Credit_Based_Connection_Response(
            dcid=PERIPHERAL_CID, mtu=1280, mps=PERIPHERAL_MPS, initial_credits=10, result=0
        )
    )
    return [("c", l2cap(5, req)), ("p", l2cap(5, rsp))]


def kframes(cid, sdu, mps):
    """An SDU in K-frames of at most MPS octets, the first with the SDU Length
    (Core 5.3 Vol 3 Part A §3.4.3, §7.3)."""
    out, first, rest = [], True, sdu
    while first or rest:
        room = mps - 2 if first else mps
        chunk, rest = rest[:room], rest[room:]
        info = (struct.pack("<H", len(sdu)) if first else b"") + chunk
        out.append(l2cap(cid, info))
        first = False
    return out


def sdu_pdus(who, sdu):
    """L2CAP PDUs carrying an SDU from `who`, on the receiver's IPSP CID."""
    if who == "c":
        return [("c", k) for k in kframes(PERIPHERAL_CID, sdu, PERIPHERAL_MPS)]
    return [("p", k) for k in kframes(CENTRAL_CID, sdu, CENTRAL_MPS)]


# --- The traffic ----------------------------------------------------------------


def datagrams(a, b):
    """(sender, 6LoWPAN SDU, note) between device addresses a (central / host)
    and b (peripheral / peer)."""
    la, lb = ll_addr(a), ll_addr(b)
    d = []
    u = IPv6(src=la, dst=lb, hlim=64) / UDP(sport=61616, dport=61617) / Raw(b"RFC 7668 over LE")
    d.append(("c", iphc(u, 3, 3), "UDP, both link-local IIDs elided (SAM=DAM=11), NH inline"))
    e = IPv6(src=lb, dst=la, hlim=64) / ICMPv6EchoRequest(id=0x7668, seq=1, data=bytes(range(200)))
    d.append(("p", iphc(e, 3, 3), "ICMPv6 echo request, 200 octets of data: 10 LL PDUs"))
    r = IPv6(src=la, dst=lb, hlim=64) / ICMPv6EchoReply(id=0x7668, seq=1, data=bytes(i & 0xFF for i in range(600)))
    d.append(("c", iphc(r, 3, 3), "ICMPv6 echo reply, 600 octets: 7 K-frames (MPS 100), 27 LL PDUs"))
    rs = IPv6(src=la, dst="ff02::2", hlim=255) / ICMPv6ND_RS()
    d.append(("c", iphc(rs, 3, 3), "Router Solicitation to ff02::2 (M=1, DAM=11: 8 bits)"))
    g = IPv6(src="2001:db8::" + la[6:], dst="2001:db8::1", hlim=30) / UDP(sport=5683, dport=5683) / Raw(b"\x40\x01\x00\x01")
    d.append(("c", iphc(g, 0, 0, nhc_udp=True), "global addresses inline (SAM=DAM=00), NHC UDP, HLIM inline"))
    o = IPv6(src="fe80::1234", dst=lb, hlim=64) / UDP(sport=1234, dport=5678) / Raw(b"inline IID")
    d.append(("c", iphc(o, 1, 3), "source IID not from the device address: inline (SAM=01)"))
    return d


def ll_stream(with_signalling=True, extra=()):
    """(direction or None, LL packet) of one connection."""
    c = Conn()
    out = [(None, connect_ind())]
    pdus = signalling() if with_signalling else []
    # An LL control PDU (LL_VERSION_IND: version 5.3, company 0x0059, subversion 1) and an
    # empty PDU in reply: neither carries L2CAP.
    out.append(("c", c.data("c", 0b11, bytes([0x0C, 0x0C, 0x59, 0x00, 0x01, 0x00]))))
    out.append(("p", c.data("p", 0b01, b"")))
    for who, sdu, _ in list(datagrams(CENTRAL, PERIPHERAL)) + list(extra):
        pdus += sdu_pdus(who, sdu) if isinstance(sdu, bytes) else []
    for who, pdu in pdus:
        for i in range(0, len(pdu), LL_MAX):
            out.append((who, c.data(who, 0b10 if i == 0 else 0b01, pdu[i:i + LL_MAX])))
    return out


def phdr(direction):
    # RF channel 0 (2402 MHz, advertising 37) for CONNECT_IND, 1 (2404 MHz, data 0) else.
    kind = {None: 0, "c": 2, "p": 3}[direction]
    return raw(
        BTLE_RF(
            rf_channel=0 if direction is None else 1,
            signal=-60,
            noise=-90,
            dewhitened=1,
            sig_power_valid=1,
            noise_power_valid=1,
            type=kind,
            crc_checked=1,
            crc_valid=1,
        )
    )


def nordic(direction, packet, counter):
    """nRF Sniffer for Bluetooth LE, protocol version 2: board id, payload length (2),
    protocol version, packet counter (2), packet id 0x06 (EVENT_PACKET), then the
    packet header: its length (10), flags (bit 0 CRC ok, bit 1 central → peripheral),
    channel, RSSI (negated), event counter (2), delta time (4)."""
    flags = 0x01 | (0x02 if direction == "c" else 0)
    ph = struct.pack("<BBBBHI", 10, flags, 37 if direction is None else 0, 60, counter, 150)
    body = ph + packet
    return struct.pack("<BHBHB", 0, len(body), 2, counter, 0x06) + body


def write(path, linktype, records):
    """A little-endian pcap, microsecond timestamps, snaplen 65535; records 7.5 ms apart
    from T0 (written with struct: scapy's PcapWriter wants a layer it knows per link type)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, rec in enumerate(records):
            us = i * 7500
            f.write(struct.pack("<IIII", T0 + us // 1_000_000, us % 1_000_000, len(rec), len(rec)))
            f.write(rec)


def hci_stream(monitor):
    """A host's view: Read_BD_ADDR, LE Connection Complete (this host central, the
    peer random), IPSP signalling, the datagrams in ACL packets of at most ACL_MAX
    octets (host: PB 00 then 01; controller: PB 10 then 01)."""
    handle = 0x0040
    out = []
    tx, rx = "tx", "rx"

    def ev(p):
        return (rx, "event", raw(p))

    host = bytes.fromhex(HOST.replace(":", ""))[::-1]
    if monitor:
        # New Index: type 0 (primary), bus 1 (USB), address, name "hci0".
        out.append(("index", None, bytes([0, 1]) + host + b"hci0\0\0\0\0"))
    out.append((tx, "command", bytes.fromhex("091000")))  # Read_BD_ADDR
    out.append(ev(HCI_Event_Hdr(code=0x0E) / Raw(bytes([1, 0x09, 0x10, 0]) + host)))
    out.append(
        ev(
            HCI_Event_Hdr(code=0x3E)
            / HCI_Event_LE_Meta(event=1)
            / HCI_LE_Meta_Connection_Complete(
                status=0, handle=handle, role=0, patype=1, paddr=PEER,
                interval=24, latency=0, supervision=400, clock_latency=1,
            )
        )
    )
    pdus = signalling()
    for who, sdu, _ in datagrams(HOST, PEER):
        pdus += sdu_pdus(who, sdu)
    for who, pdu in pdus:
        d = tx if who == "c" else rx
        for i in range(0, len(pdu), ACL_MAX):
            pb = (0b00 if d == tx else 0b10) if i == 0 else 0b01
            chunk = pdu[i:i + ACL_MAX]
            out.append((d, "acl", struct.pack("<HH", handle | (pb << 12), len(chunk)) + chunk))
    return out


def h4_records(stream):
    h4 = {"command": 1, "acl": 2, "event": 4}
    return [struct.pack(">I", 0 if d == "tx" else 1) + bytes([h4[k]]) + p for d, k, p in stream]


def monitor_records(stream):
    recs = []
    for d, k, p in stream:
        if d == "index":
            op = 0
        else:
            op = {("tx", "command"): 2, ("rx", "event"): 3, ("tx", "acl"): 4, ("rx", "acl"): 5}[(d, k)]
        recs.append(struct.pack(">HH", 0, op) + p)
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "6lo-ble"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    out = lambda n: os.path.join(args.out, n)  # noqa: E731

    ll = ll_stream()
    write(out("ipsp-phdr.pcap"), 256, [phdr(d) + p for d, p in ll])
    write(out("ipsp-nordic.pcap"), 272, [nordic(d, p, i) for i, (d, p) in enumerate(ll)])
    write(out("ipsp-ll.pcap"), 251, [p for _, p in ll])

    # No signalling in the capture: the dynamic CIDs carrying IPHC are taken as IPSP; an SDU
    # that is not 6LoWPAN (an ATT-like 0x0a 0x03 0x00) on CID 0x0042 is not.
    c = Conn()
    recs = [(None, connect_ind())]
    pdus = []
    for who, sdu, _ in datagrams(CENTRAL, PERIPHERAL)[:2]:
        pdus += sdu_pdus(who, sdu)
    pdus.append(("c", l2cap(0x0042, struct.pack("<H", 3) + bytes([0x0A, 0x03, 0x00]))))
    for who, pdu in pdus:
        for i in range(0, len(pdu), LL_MAX):
            recs.append((who, c.data(who, 0b10 if i == 0 else 0b01, pdu[i:i + LL_MAX])))
    write(out("ipsp-no-signalling.pcap"), 256, [phdr(d) + p for d, p in recs])

    # RFC 7668 §3.2.3: a FRAG1 header, a mesh header and a BC0 header inside IPSP SDUs
    # (each refused), then a valid datagram.
    c = Conn()
    recs = [(None, connect_ind())]
    pdus = signalling()
    good = datagrams(CENTRAL, PERIPHERAL)[0][1]
    bad = [
        bytes([0xC0, len(good) + 40, 0x12, 0x34]) + good,  # FRAG1, size, tag 0x1234
        bytes([0xBF, 0x00, 0x01, 0x00, 0x02]) + good,  # mesh: V=F=1, hops 15, short addrs
        bytes([0x50, 0x07]) + good,  # LOWPAN_BC0, sequence 7
    ]
    for sdu in bad + [good]:
        pdus += sdu_pdus("c", sdu)
    for who, pdu in pdus:
        for i in range(0, len(pdu), LL_MAX):
            recs.append((who, c.data(who, 0b10 if i == 0 else 0b01, pdu[i:i + LL_MAX])))
    write(out("rfc7668-violations.pcap"), 256, [phdr(d) + p for d, p in recs])

    hci = hci_stream(monitor=False)
    write(out("ipsp-hci-h4.pcap"), 201, h4_records(hci))
    mon = hci_stream(monitor=True)
    write(out("ipsp-btmon.pcap"), 254, monitor_records(mon))

    for n in sorted(os.listdir(args.out)):
        print(n)
    print()
    for who, _, note in datagrams(CENTRAL, PERIPHERAL):
        print(f"  {'central' if who == 'c' else 'peripheral'} → : {note}")


if __name__ == "__main__":
    main()
