#!/usr/bin/env python3
"""Record the project's own 6LoWPAN captures into pcaps/6lo/.

Generator: scapy==2.8.0 (PyPI `scapy`; scapy.layers.dot15d4 and
scapy.layers.sixlowpan), an implementation independent of the Rust code.
Second opinion: tshark 4.0.17 (`--verify`).

Usage:
    python3 pcaps/record-6lo.py [--out DIR] [--verify]

Everything is deterministic: fixed timestamps, fixed payloads, fixed sequence
numbers and datagram tags, no randomness, pcap files written little-endian
with microsecond timestamps. Re-running gives byte-identical files.

Where scapy 2.8.0 encodes something wrongly we do not use that path (see
"SCAPY WORKAROUNDS" below and pcaps/README.md):
  * LoWPAN_IPHC copies the IPv6 Traffic Class byte verbatim into the TF
    field (tc_ecn = tc >> 6, tc_dscp = tc & 0x3f) although RFC 6282 3.1.1
    puts ECN (the two LOW bits of the Traffic Class) first: we hand scapy a
    pre-rotated traffic class so that the bytes on the wire are RFC-correct.
  * LoWPANMesh sizes the Final Destination by the V bit instead of the F bit,
    so mixed 16/64-bit mesh headers are packed by hand (RFC 4944 5.2).
  * sixlowpan_fragment() fragments the uncompressed IPv6 packet and puts no
    dispatch byte after the FRAG1 header (the bytes start 0x60... and read as
    IPHC); we fragment ourselves per RFC 4944 5.3 / RFC 6282 section 2.
  * LoWPAN_NHC does not compress IPv6 extension headers (and mangles the
    UDP header that follows one), so NHC-EH headers are assembled from
    LoWPAN_NHC_IPv6Ext fields by hand (RFC 6282 4.2); its automatic Length
    is one too large (it counts the Length octet), so it is set explicitly.
  * tshark 4.0 does not recompute a UDP checksum elided by NHC (C=1) and
    flags it Bad; --verify accepts that for those frames only.
  * LoWPAN_HC1 never writes the inline Next Header (HC1 NH=00) and writes
    the IID instead of the prefix for SP=0/SI=1; those forms are not used.
"""

import argparse
import ipaddress
import os
import struct
import subprocess
import sys

from scapy.config import conf
from scapy.compat import raw
from scapy.packet import Raw
from scapy.layers.dot15d4 import Dot15d4, Dot15d4FCS, Dot15d4Data
from scapy.layers.sixlowpan import (
    LoWPAN_HC1,
    LoWPAN_HC2_UDP,
    LoWPAN_IPHC,
    LoWPAN_NHC,
    LoWPAN_NHC_IPv6Ext,
    LoWPAN_NHC_UDP,
    LoWPANBroadcast,
    LoWPANFragmentationFirst,
    LoWPANFragmentationSubsequent,
    LoWPANMesh,
    LoWPANUncompressedIPv6,
)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (
    IPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NS,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop,
    HBHOptUnknown,
    PadN,
    RplOption,
)
from scapy.layers.dns import DNS, DNSQR

conf.dot15d4_protocol = "sixlowpan"

SCAPY_PIN = "2.8.0"

LINKTYPE_FCS = 195  # LINKTYPE_IEEE802_15_4_WITHFCS
LINKTYPE_NOFCS = 230  # LINKTYPE_IEEE802_15_4_NOFCS
A_MAX_PHY_PACKET = 127  # aMaxPHYPacketSize, FCS included
T0 = 1700000000  # 2023-11-14T22:13:20Z; each file starts 100 s later
FRAME_GAP_US = 5000  # 5 ms between frames

PAN = 0xABCD
CONTEXT0 = "2001:db8:1::/64"
CTX0_PREFIX = "2001:db8:1:0"

# ---------------------------------------------------------------- addressing


class Node:
    """An 802.15.4 node: 16-bit short address and EUI-64 (MSB first)."""

    def __init__(self, name, short, ext):
        self.name, self.short, self.ext = name, short, ext

    def s(self):
        return ("short", self.short)

    def x(self):
        return ("ext", self.ext)


A = Node("A", 0x0001, 0x00124B0000010203)
B = Node("B", 0x0002, 0x00124B0000040506)
C = Node("C", 0x000C, 0x020000000000000C)  # U/L bit set: IID 0000:0000:0000:000c
O = Node("O", 0x0010, 0x00124B0000000010)  # mesh originator
F = Node("F", 0x0020, 0x00124B0000000020)  # mesh final destination
R1 = Node("R1", 0x0031, 0x00124B0000000031)  # mesh relays
R2 = Node("R2", 0x0032, 0x00124B0000000032)
BCAST = ("short", 0xFFFF)


def iid(addr):
    """IID from a link-layer address (RFC 4944 6 for EUI-64, RFC 6282 3.2.2
    0000:00ff:fe00:XXXX for 16-bit addresses) as 4 hex groups."""
    mode, value = addr
    if mode == "ext":
        v = value ^ (0x02 << 56)
    else:
        v = 0x000000FFFE000000 | value
    return ":".join("%x" % ((v >> s) & 0xFFFF) for s in (48, 32, 16, 0))


def ll(addr):
    return "fe80::" + iid(addr)


def ctx(addr):
    return CTX0_PREFIX + ":" + iid(addr)


# ------------------------------------------------------------- scapy helpers


def freeze(pkt):
    """Let scapy compute every length and checksum once, then keep them."""
    return IPv6(raw(pkt))


def scapy_tc(tc):
    """SCAPY WORKAROUND (TF): scapy writes tc_ecn = tc >> 6 and tc_dscp =
    tc & 0x3f. RFC 6282 3.1.1 wants ECN (tc & 3) then DSCP (tc >> 2), so
    hand scapy the byte whose top two bits are the ECN and low six the DSCP."""
    return ((tc & 0x03) << 6) | (tc >> 2)


def iphc_base(ip, nh_compressed, *, tf, hlim, sac=0, sam=3, m=0, dac=0, dam=3, cid=None):
    """LOWPAN_IPHC base header + inline fields (RFC 6282 3.1), built by scapy's
    own compressor (LoWPAN_IPHC.do_build) from an IPv6 header."""
    hdr = IPv6(tc=scapy_tc(ip.tc), fl=ip.fl, hlim=ip.hlim, nh=ip.nh, src=ip.src, dst=ip.dst)
    kw = dict(tf=tf, nh=1 if nh_compressed else 0, hlim=hlim, sac=sac, sam=sam, m=m, dac=dac, dam=dam)
    if cid is not None:
        kw.update(cid=1, sci=cid[0], dci=cid[1])
    expect_hlim = {1: 1, 2: 64, 3: 255}.get(hlim)
    assert expect_hlim in (None, ip.hlim), "HLIM mode does not match hop limit"
    if tf in (2, 3):
        assert ip.fl == 0, "TF elides a non-zero flow label"
    if tf in (1, 3):
        assert (ip.tc >> 2) == 0, "TF elides a non-zero DSCP"
    if tf == 3:
        assert ip.tc == 0
    return raw(LoWPAN_IPHC(**kw) / hdr / Raw(b""))


def nhc_udp(udp, *, C=0, P=None):
    """LOWPAN_NHC UDP header (RFC 6282 4.3) by scapy's LoWPAN_NHC.do_build;
    with P=None scapy picks the port compression itself."""
    exts = [] if P is None and not C else [LoWPAN_NHC_UDP(C=C, P=P if P is not None else 0)]
    udp = UDP(raw(udp))  # frozen checksum
    out = raw(LoWPAN_NHC(exts=exts) / IPv6() / udp)
    pay = raw(udp.payload)
    assert out.endswith(pay)
    return out[: len(out) - len(pay)]


EID = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrDestOpt: 3}


def compress(ip, *, udp=None, eh=False, **iphc):
    """Compress a frozen IPv6 datagram.

    udp: None = next header carried inline; a dict(C=.., P=..) = NHC UDP.
    eh:  True = every leading HBH/DestOpt header becomes an NHC-EH.
    Returns (compressed_headers, uncompressed_header_len, rest) where rest is
    the tail of the uncompressed datagram carried verbatim after the
    compressed headers (RFC 4944 5.3 counts offsets in uncompressed bytes).
    """
    raw_ip = raw(ip)
    layer = ip.payload
    ehs = []
    while eh and type(layer) in EID:
        ehs.append(layer)
        layer = layer.payload
    last_compressed = udp is not None and isinstance(layer, UDP)
    nh_compressed = bool(ehs) or last_compressed
    head = iphc_base(ip, nh_compressed, **iphc)
    for i, ext in enumerate(ehs):
        ext_raw = raw(ext)[: (ext.len + 1) * 8]
        nxt_is_nhc = i + 1 < len(ehs) or last_compressed
        # SCAPY WORKAROUND (NHC-EH): fields set by hand, RFC 6282 4.2:
        # 1110 EID NH | [Next Header] | Length (octets after it) | data.
        # The length is given explicitly: scapy's post_build counts the
        # Length octet itself and writes one too many.
        data = ext_raw[2:]
        hdr = raw(LoWPAN_NHC_IPv6Ext(eid=EID[type(ext)], nh=1 if nxt_is_nhc else 0,
                                     nhField=ext.nh, len=len(data), data=data))
        assert hdr == bytes([0xE0 | EID[type(ext)] << 1 | (1 if nxt_is_nhc else 0)]) + (
            b"" if nxt_is_nhc else bytes([ext.nh])) + bytes([len(data)]) + data
        head += hdr
    if last_compressed:
        head += nhc_udp(layer, **udp)
        rest = raw(layer.payload)
    else:
        rest = raw(layer)
    return head, len(raw_ip) - len(rest), rest


def mesh_hdr(orig, final, hops):
    """Mesh addressing header, RFC 4944 5.2: 10 V F HopsLeft, originator,
    final (network byte order). V/F = 1 for 16-bit addresses."""
    v = 1 if orig[0] == "short" else 0
    f = 1 if final[0] == "short" else 0
    if v == f:
        fmt = ">H" if v else ">Q"
        built = raw(LoWPANMesh(v=v, f=f, hopsLeft=hops, src=orig[1], dst=final[1]))
        assert built == bytes([0x80 | v << 5 | f << 4 | hops]) + struct.pack(fmt, orig[1]) + struct.pack(fmt, final[1])
        return built
    # SCAPY WORKAROUND (mesh): scapy sizes the final address by V, not F.
    return (bytes([0x80 | v << 5 | f << 4 | hops])
            + struct.pack(">H" if v else ">Q", orig[1])
            + struct.pack(">H" if f else ">Q", final[1]))


def mcast16(group):
    """RFC 4944 9: 16-bit multicast address 100 + last 13 bits of the group."""
    g = ipaddress.IPv6Address(group).packed
    return ("short", 0x8000 | (g[14] & 0x1F) << 8 | g[15])


# ------------------------------------------------------------------ capture


class Capture:
    def __init__(self, name, linktype, index, contexts=()):
        self.name, self.linktype, self.index = name, linktype, index
        self.contexts = contexts
        self.frames = []  # bytes as captured
        self.notes = []  # one line per frame, for the README
        self.expect = []  # (completing frame number, fields...) per datagram
        self.elided = set()  # raw datagrams whose UDP checksum NHC elides
        self.elided_frames = set()  # frames where tshark shows such a datagram
        self.seq = 0x40 + index * 0x10

    def mac(self, payload, src, dst, *, src_pan=None, ver=1, ack=None):
        """An 802.15.4 data frame (RFC 4944 uses data frames only).
        src_pan=None: PAN ID compression (both addresses in PAN)."""
        if ack is None:
            ack = dst != BCAST
        cls = Dot15d4FCS if self.linktype == LINKTYPE_FCS else Dot15d4
        hdr = cls(fcf_frametype=1, fcf_ackreq=int(ack), fcf_panidcompress=int(src_pan is None),
                  fcf_framever=ver, fcf_srcaddrmode=3 if src[0] == "ext" else 2,
                  fcf_destaddrmode=3 if dst[0] == "ext" else 2, seqnum=self.seq & 0xFF)
        data = Dot15d4Data(dest_panid=PAN, dest_addr=dst[1], src_addr=src[1])
        if src_pan is not None:
            data.src_panid = src_pan
        self.seq += 1
        frame = raw(hdr / data / Raw(payload))
        wire = len(frame) + (0 if self.linktype == LINKTYPE_FCS else 2)
        assert wire <= A_MAX_PHY_PACKET, "%s: frame of %d bytes" % (self.name, wire)
        return frame

    @staticmethod
    def room(src, dst, src_pan=None):
        """Bytes left for 6LoWPAN in a 127-byte PSDU (FCS always counted)."""
        size = lambda a: 8 if a[0] == "ext" else 2
        return A_MAX_PHY_PACKET - (2 + 1 + 2 + size(dst) + (0 if src_pan is None else 2) + size(src) + 2)

    def add(self, payload, src, dst, note, **kw):
        self.frames.append(self.mac(payload, src, dst, **kw))
        self.notes.append(note)
        return len(self.frames)

    def expect_ip(self, frame_no, ip):
        if raw(ip) in self.elided:
            self.elided_frames.add(frame_no)
        self.expect.append((frame_no, ip.src, ip.dst, ip.plen, ip.nh, ip.hlim, ip.tc, ip.fl))

    # -- unfragmented
    def single(self, ip, src, dst, note, *, prefix=b"", **comp):
        ip = freeze(ip)
        head, _, rest = compress(ip, **comp)
        if (comp.get("udp") or {}).get("C"):
            self.elided.add(raw(ip))
        n = self.add(prefix + head + rest, src, dst, note)
        self.expect_ip(n, ip)
        return n

    # -- fragmented, RFC 4944 5.3
    def fragments(self, ip, src, dst, tag, *, prefix=b"", uncompressed=False, **comp):
        ip = freeze(ip)
        raw_ip = raw(ip)
        if uncompressed:
            head, hlen, rest = b"\x41", 0, raw_ip
        else:
            head, hlen, rest = compress(ip, **comp)
        if (comp.get("udp") or {}).get("C"):
            self.elided.add(raw_ip)
        size = len(raw_ip)
        room = self.room(src, dst) - len(prefix)
        # FRAG1: 4-byte header, compressed headers, then enough payload that
        # the uncompressed bytes it covers are a multiple of 8.
        k = room - 4 - len(head)
        k -= (hlen + k) % 8
        assert k > 0
        frags = [raw(LoWPANFragmentationFirst(datagramSize=size, datagramTag=tag) / Raw(head + rest[:k]))]
        pos = hlen + k
        chunk = (room - 5) // 8 * 8
        while pos < size:
            piece = raw_ip[pos:pos + chunk]
            frags.append(raw(LoWPANFragmentationSubsequent(datagramSize=size, datagramTag=tag,
                                                           datagramOffset=pos // 8) / Raw(piece)))
            pos += len(piece)
        return ip, [prefix + f for f in frags]

    def send_fragments(self, ip, frags, order, src, dst, label, *, prefixes=None):
        """Send fragments in `order` (indices; repeats = duplicates, missing
        indices = lost). Record the frame that completes the datagram."""
        dg = self.datagram(ip, frags, src, dst, label, prefixes)
        for i in order:
            self.send(dg, i)

    @staticmethod
    def datagram(ip, frags, src, dst, label, prefixes=None):
        return dict(ip=ip, frags=frags, src=src, dst=dst, label=label, prefixes=prefixes, seen=[], done=False)

    def send(self, dg, i):
        """Send fragment i of datagram dg (see datagram())."""
        kind = "FRAG1" if i == 0 else "FRAGN #%d" % i
        dup = " (duplicate)" if i in dg["seen"] else ""
        pre = dg["prefixes"][len(dg["seen"])] if dg["prefixes"] else b""
        n = self.add(pre + dg["frags"][i], dg["src"], dg["dst"], "%s %s%s" % (dg["label"], kind, dup))
        dg["seen"].append(i)
        if not dg["done"] and len(set(dg["seen"])) == len(dg["frags"]):
            dg["done"] = True
            self.expect_ip(n, dg["ip"])

    def write(self, outdir):
        path = os.path.join(outdir, self.name)
        t = T0 + 100 * self.index
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, self.linktype))
            for i, fr in enumerate(self.frames):
                us = i * FRAME_GAP_US
                f.write(struct.pack("<IIII", t + us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)
        return path


def pattern(n, seed):
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


def text(n, label):
    s = (label + " ").encode() * (n // (len(label) + 1) + 1)
    return s[:n]


def coap_get(mid, path):
    """A valid CoAP CON GET with one Uri-Path option (RFC 7252 3)."""
    p = path.encode()
    return bytes([0x40, 0x01]) + struct.pack(">H", mid) + bytes([0xB0 | len(p)]) + p


# -------------------------------------------------------------------- files


def frag_icmpv6_echo():
    cap = Capture("frag-icmpv6-echo.pcap", LINKTYPE_FCS, 0)
    # D1/D2: 400-byte echo over extended addresses, IIDs from the MAC.
    for tag, (s, d), cls, label in ((0x0001, (A, B), ICMPv6EchoRequest, "req"),
                                    (0x0002, (B, A), ICMPv6EchoReply, "reply")):
        ip = IPv6(src=ll(s.x()), dst=ll(d.x()), hlim=64) / cls(id=0x6C6F, seq=1, data=pattern(400, 1))
        ip, fr = cap.fragments(ip, s.x(), d.x(), tag, tf=3, hlim=2, sam=3, dam=3)
        cap.send_fragments(ip, fr, range(len(fr)), s.x(), d.x(), "echo %s 400 B tag 0x%04x" % (label, tag))
    # D3: 1200-byte echo request over short addresses, fragments out of order.
    ip = IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / ICMPv6EchoRequest(id=0x6C6F, seq=2, data=pattern(1200, 2))
    ip, fr = cap.fragments(ip, A.s(), B.s(), 0x0003, tf=3, hlim=2, sam=3, dam=3)
    order = list(range(1, len(fr), 2)) + list(range(0, len(fr), 2))
    cap.send_fragments(ip, fr, order, A.s(), B.s(), "echo req 1200 B tag 0x0003 out of order")
    # D4: the 1200-byte reply, one FRAGN duplicated before the datagram is complete.
    ip = IPv6(src=ll(B.s()), dst=ll(A.s()), hlim=64) / ICMPv6EchoReply(id=0x6C6F, seq=2, data=pattern(1200, 2))
    ip, fr = cap.fragments(ip, B.s(), A.s(), 0x0004, tf=3, hlim=2, sam=3, dam=3)
    order = [0, 1, 2, 3, 2] + list(range(4, len(fr)))
    cap.send_fragments(ip, fr, order, B.s(), A.s(), "echo reply 1200 B tag 0x0004")
    # D5: global addresses inline, hop limit inline, a FRAGN lost: never reassembles.
    ip = IPv6(src="2001:db8::a", dst="2001:db8::b", hlim=33) / ICMPv6EchoRequest(id=0x6C6F, seq=3, data=pattern(500, 3))
    ip, fr = cap.fragments(ip, A.x(), B.s(), 0xFFFF, tf=3, hlim=0, sam=0, dam=0)
    order = [i for i in range(len(fr)) if i != 2]
    cap.send_fragments(ip, fr, order, A.x(), B.s(), "echo req 500 B tag 0xffff, FRAGN #2 lost")
    return cap


def frag_udp():
    cap = Capture("frag-udp.pcap", LINKTYPE_NOFCS, 1)
    # U1: NHC UDP, ports inline (P=00), checksum inline; SAM=01 / DAM=10.
    ip = IPv6(src="fe80::1:2:3:4", dst=ll(C.s()), hlim=64) / UDP(sport=50000, dport=50001) / text(300, "frag-udp U1")
    ip, fr = cap.fragments(ip, A.x(), C.s(), 0x0100, udp=dict(C=0, P=0), tf=3, hlim=2, sam=1, dam=2)
    cap.send_fragments(ip, fr, range(len(fr)), A.x(), C.s(), "UDP 300 B P=00 C=0 tag 0x0100")
    # U2: NHC UDP 0xF0Bx ports (P=11), checksum elided (C=1).
    ip = IPv6(src=ll(B.s()), dst=ll(C.s()), hlim=64) / UDP(sport=0xF0B1, dport=0xF0B2) / text(250, "frag-udp U2")
    ip, fr = cap.fragments(ip, B.s(), C.s(), 0x0101, udp=dict(C=1, P=3), tf=3, hlim=2, sam=3, dam=3)
    cap.send_fragments(ip, fr, range(len(fr)), B.s(), C.s(), "UDP 250 B P=11 C=1 tag 0x0101")
    # U3/U4: two senders interleaved, P=01 and P=10.
    ip3 = IPv6(src=ll(A.x()), dst=ll(C.s()), hlim=255) / UDP(sport=50003, dport=0xF005) / text(280, "frag-udp U3")
    ip3, f3 = cap.fragments(ip3, A.x(), C.s(), 0x0200, udp=dict(C=0, P=1), tf=3, hlim=3, sam=3, dam=3)
    ip4 = IPv6(src=ll(B.s()), dst=ll(C.s()), hlim=1) / UDP(sport=0xF00A, dport=50004) / text(280, "frag-udp U4")
    ip4, f4 = cap.fragments(ip4, B.s(), C.s(), 0x0201, udp=dict(C=0, P=2), tf=3, hlim=1, sam=3, dam=3)
    assert len(f3) == len(f4)
    g3 = cap.datagram(ip3, f3, A.x(), C.s(), "UDP 280 B P=01 tag 0x0200 (interleaved)")
    g4 = cap.datagram(ip4, f4, B.s(), C.s(), "UDP 280 B P=10 tag 0x0201 (interleaved)")
    for i in range(len(f3)):
        cap.send(g3, i)
        cap.send(g4, i)
    # U5: UDP header inline after IPHC (NH=0), traffic class + flow label inline.
    ip = IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64, tc=0x2B, fl=0x54321) / UDP(sport=50005, dport=50006) / text(200, "frag-udp U5")
    ip, fr = cap.fragments(ip, A.s(), B.s(), 0x0300, tf=0, hlim=2, sam=3, dam=3)
    cap.send_fragments(ip, fr, range(len(fr)), A.s(), B.s(), "UDP 200 B inline header, TF=00 tag 0x0300")
    return cap


def mesh_bc0():
    cap = Capture("mesh-bc0.pcap", LINKTYPE_FCS, 2)
    # M1-M3: one datagram O -> F forwarded over R1, R2 (16-bit mesh addresses,
    # hops left 3, 2, 1). IPHC SAM/DAM=11: IIDs come from the MESH addresses.
    ip = freeze(IPv6(src=ll(O.s()), dst=ll(F.s()), hlim=64) / UDP(sport=0xF0B1, dport=0xF0B2) / b"mesh hop")
    head, _, rest = compress(ip, udp=dict(C=0, P=3), tf=3, hlim=2, sam=3, dam=3)
    for hops, (s, d) in ((3, (O, R1)), (2, (R1, R2)), (1, (R2, F))):
        n = cap.add(mesh_hdr(O.s(), F.s(), hops) + head + rest, s.s(), d.s(),
                    "mesh V=1 F=1 hops %d, MAC %s->%s, IPHC+NHC UDP" % (hops, s.name, d.name))
        cap.expect_ip(n, ip)
    # M4: 64-bit originator and final, hops 14, ICMPv6 echo.
    ip = IPv6(src=ll(O.x()), dst=ll(F.x()), hlim=64) / ICMPv6EchoRequest(id=7, seq=1, data=b"mesh64")
    cap.single(ip, R1.x(), R2.x(), "mesh V=0 F=0 hops 14, IPHC ICMPv6", prefix=mesh_hdr(O.x(), F.x(), 14),
               tf=3, hlim=2, sam=3, dam=3)
    # M5/M6: mixed address sizes (hand-packed: scapy gets these wrong).
    ip = IPv6(src=ll(O.s()), dst=ll(F.x()), hlim=64) / ICMPv6EchoRequest(id=7, seq=2, data=b"mesh16-64")
    cap.single(ip, R1.s(), R2.s(), "mesh V=1 F=0 hops 7", prefix=mesh_hdr(O.s(), F.x(), 7),
               tf=3, hlim=2, sam=3, dam=3)
    ip = IPv6(src=ll(O.x()), dst=ll(F.s()), hlim=64) / ICMPv6EchoReply(id=7, seq=2, data=b"mesh64-16")
    cap.single(ip, R2.x(), R1.s(), "mesh V=0 F=1 hops 1", prefix=mesh_hdr(O.x(), F.s(), 1),
               tf=3, hlim=2, sam=3, dam=3)
    # M7/M8: mesh-under broadcast of ff02::1: mesh final 0x8001 (RFC 4944 9),
    # LOWPAN_BC0 seq 0x17, re-broadcast by R1 with the same sequence number.
    ip = freeze(IPv6(src=ll(O.s()), dst="ff02::1", hlim=255) / UDP(sport=0xF0B3, dport=0xF0B4) / b"all nodes")
    head, _, rest = compress(ip, udp=dict(C=0, P=3), tf=3, hlim=3, sam=3, m=1, dam=3)
    for hops, s in ((5, O), (4, R1)):
        pre = mesh_hdr(O.s(), mcast16("ff02::1"), hops) + raw(LoWPANBroadcast(seq=0x17))
        n = cap.add(pre + head + rest, s.s(), BCAST, "mesh hops %d + BC0 seq 0x17 + IPHC ff02::1 (MAC %s)" % (hops, s.name))
        cap.expect_ip(n, ip)
    # M9: BC0 to a solicited-node group, mesh final 0x8020.
    grp = "ff02::1:ff00:20"
    ip = IPv6(src=ll(O.x()), dst=grp, hlim=255) / UDP(sport=0xF0B5, dport=0xF0B6) / b"solicited"
    cap.single(ip, O.x(), BCAST, "mesh V=0 F=1 hops 9 + BC0 seq 0x18 + IPHC ff02::1:ff00:20",
               prefix=mesh_hdr(O.x(), mcast16(grp), 9) + raw(LoWPANBroadcast(seq=0x18)),
               udp=dict(C=0, P=3), tf=3, hlim=3, sam=3, m=1, dam=1)
    # M10..: mesh + FRAG1/FRAGN, 16-bit mesh addresses, hops 5.
    pre = mesh_hdr(O.s(), F.s(), 5)
    ip = IPv6(src=ll(O.s()), dst=ll(F.s()), hlim=64) / UDP(sport=50010, dport=50011) / text(300, "mesh-frag")
    ip, fr = cap.fragments(ip, O.s(), R1.s(), 0x0A0A, prefix=pre, udp=dict(C=0, P=0), tf=3, hlim=2, sam=3, dam=3)
    cap.send_fragments(ip, fr, range(len(fr)), O.s(), R1.s(), "mesh hops 5 + UDP 300 B tag 0x0a0a")
    # mesh + BC0 + FRAG: fragmented multicast, one BC0 sequence number per frame.
    ip = IPv6(src=ll(O.s()), dst="ff02::1", hlim=255) / UDP(sport=50012, dport=50013) / text(200, "mesh-bc0-frag")
    room_pre = mesh_hdr(O.s(), mcast16("ff02::1"), 5) + raw(LoWPANBroadcast(seq=0))
    ip, fr = cap.fragments(ip, O.s(), BCAST, 0x0B0B, prefix=room_pre, udp=dict(C=0, P=0),
                           tf=3, hlim=3, sam=3, m=1, dam=3)
    fr = [f[len(room_pre):] for f in fr]
    pres = [mesh_hdr(O.s(), mcast16("ff02::1"), 5) + raw(LoWPANBroadcast(seq=0x20 + i)) for i in range(len(fr))]
    cap.send_fragments(ip, fr, range(len(fr)), O.s(), BCAST, "mesh + BC0 + UDP 200 B to ff02::1 tag 0x0b0b",
                       prefixes=pres)
    return cap


def iphc_forms():
    cap = Capture("iphc-forms.pcap", LINKTYPE_FCS, 3, contexts=(CONTEXT0,))
    u = lambda sp, dp, label: UDP(sport=sp, dport=dp) / text(12, label)
    S = cap.single
    # --- TF and HLIM forms
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), tc=0xB9, fl=0x12345, hlim=17) / u(50000, 50001, "tf00"),
      A.x(), B.x(), "TF=00 tc 0xb9 fl 0x12345, HLIM inline 17, SAM/DAM=11 ext",
      udp=dict(C=0, P=0), tf=0, hlim=0, sam=3, dam=3)
    S(IPv6(src=ll(A.s()), dst=ll(B.s()), tc=0x02, fl=0xABCDE, hlim=1) / u(50000, 50001, "tf01"),
      A.s(), B.s(), "TF=01 ECN 2 fl 0xabcde, HLIM=01, SAM/DAM=11 short",
      udp=dict(C=0, P=0), tf=1, hlim=1, sam=3, dam=3)
    S(IPv6(src="fe80::1234:5678:9abc:def0", dst="fe80::cafe:0:0:1", tc=0x2B, hlim=255) / u(50000, 50001, "tf10"),
      A.x(), B.x(), "TF=10 DSCP 10 ECN 3, HLIM=11, SAM/DAM=01 (64-bit inline)",
      udp=dict(C=0, P=0), tf=2, hlim=3, sam=1, dam=1)
    S(IPv6(src="fe80::ff:fe00:1234", dst="fe80::ff:fe00:abcd", hlim=64) / u(50000, 50001, "tf11"),
      A.x(), B.s(), "TF=11, HLIM=10, SAM/DAM=10 (16-bit inline)",
      udp=dict(C=0, P=0), tf=3, hlim=2, sam=2, dam=2)
    # --- stateless full inline, ICMPv6 inline NH
    S(IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64) / ICMPv6EchoRequest(id=1, seq=1, data=b"global"),
      A.s(), B.s(), "SAM/DAM=00 global, NH inline 58", tf=3, hlim=2, sam=0, dam=0)
    S(IPv6(src="fe80::1", dst=ll(B.x()), hlim=64) / ICMPv6EchoReply(id=1, seq=1, data=b"ll inline"),
      A.x(), B.x(), "SAM=00 link-local fe80::1, DAM=11", tf=3, hlim=2, sam=0, dam=3)
    S(IPv6(src=ll(A.x()), dst=ll(C.x()), hlim=64) / ICMPv6EchoRequest(id=1, seq=2, data=b"u/l bit"),
      A.x(), C.x(), "DAM=11 from EUI-64 02:00:00:00:00:00:00:0c (U/L set) = fe80::c", tf=3, hlim=2, sam=3, dam=3)
    # --- unspecified source, multicast forms
    ns = ICMPv6ND_NS(tgt="fe80::ff:fe00:1234")
    S(IPv6(src="::", dst="ff02::1:ff00:1234", hlim=255) / ns,
      A.x(), BCAST, "SAC=1 SAM=00 (::), M=1 DAM=01 ff02::1:ff00:1234, DAD NS", tf=3, hlim=3, sac=1, sam=0, m=1, dam=1)
    S(IPv6(src=ll(A.s()), dst="ff02::1", hlim=255) / ICMPv6EchoRequest(id=2, seq=1, data=b"all nodes"),
      A.s(), BCAST, "M=1 DAM=11 ff02::1", tf=3, hlim=3, sam=3, m=1, dam=3)
    mdns = DNS(id=0, qd=DNSQR(qname="_coap._udp.local", qtype="PTR"))
    S(IPv6(src=ll(A.x()), dst="ff05::fb", hlim=255) / UDP(sport=5353, dport=5353) / mdns,
      A.x(), BCAST, "M=1 DAM=10 ff05::fb, mDNS query", udp=dict(C=0, P=0), tf=3, hlim=3, sam=3, m=1, dam=2)
    S(IPv6(src=ll(A.s()), dst="ff0e::1234:5678", hlim=64) / u(0xF0B3, 0xF0B4, "ff0e"),
      A.s(), BCAST, "M=1 DAM=01 ff0e::1234:5678, NHC P=11", udp=dict(C=0, P=3), tf=3, hlim=2, sam=3, m=1, dam=1)
    S(IPv6(src=ll(A.s()), dst="ff1e:0:1:2:3:4:5:6", hlim=64) / u(50000, 50001, "ff1e"),
      A.s(), BCAST, "M=1 DAM=00 ff1e:0:1:2:3:4:5:6 inline", udp=dict(C=0, P=0), tf=3, hlim=2, sam=3, m=1, dam=0)
    # --- context 0 = 2001:db8:1::/64 (stateful)
    S(IPv6(src=CTX0_PREFIX + ":1234:5678:9abc:def0", dst=CTX0_PREFIX + ":cafe:0:0:1", hlim=64) / u(50000, 50001, "ctx01"),
      A.x(), B.x(), "SAC/DAC=1 SAM/DAM=01 ctx 0", udp=dict(C=0, P=0), tf=3, hlim=2, sac=1, sam=1, dac=1, dam=1)
    S(IPv6(src=CTX0_PREFIX + ":0:ff:fe00:beef", dst=CTX0_PREFIX + ":0:ff:fe00:1", hlim=64) / u(50000, 50001, "ctx10"),
      A.x(), B.x(), "SAC/DAC=1 SAM/DAM=10 ctx 0", udp=dict(C=0, P=0), tf=3, hlim=2, sac=1, sam=2, dac=1, dam=2)
    S(IPv6(src=ctx(A.x()), dst=ctx(B.x()), hlim=64) / u(50000, 50001, "ctx11"),
      A.x(), B.x(), "SAC/DAC=1 SAM/DAM=11 ctx 0 from EUI-64", udp=dict(C=0, P=0), tf=3, hlim=2, sac=1, sam=3, dac=1, dam=3)
    S(IPv6(src=ctx(A.s()), dst=ctx(B.s()), hlim=64) / u(50000, 50001, "cid"),
      A.s(), B.s(), "CID=1 SCI=0 DCI=0, SAM/DAM=11 ctx 0 from short", udp=dict(C=0, P=0),
      tf=3, hlim=2, cid=(0, 0), sac=1, sam=3, dac=1, dam=3)
    S(IPv6(src=ctx(A.x()), dst="ff3e:40:2001:db8:1:0:0:1234", hlim=64) / u(50000, 50001, "ff3e"),
      A.x(), BCAST, "M=1 DAC=1 DAM=00 ff3e:40:2001:db8:1::1234 (RFC 3306)", udp=dict(C=0, P=0),
      tf=3, hlim=2, sac=1, sam=3, m=1, dac=1, dam=0)
    # --- NHC UDP port forms, checksum elided, UDP inline, CoAP
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / u(50003, 0xF00F, "p01"),
      A.x(), B.x(), "NHC UDP P=01 (dst 0xf00f)", udp=dict(C=0, P=1), tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / u(0xF0AA, 50004, "p10"),
      A.x(), B.x(), "NHC UDP P=10 (src 0xf0aa)", udp=dict(C=0, P=2), tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / u(0xF0B0, 0xF0BF, "p11"),
      A.x(), B.x(), "NHC UDP P=11 (0xf0b0 -> 0xf0bf)", udp=dict(C=0, P=3), tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / u(0xF0B5, 0xF0BA, "c1"),
      A.s(), B.s(), "NHC UDP P=11 C=1 (checksum elided)", udp=dict(C=1, P=3), tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / UDP(sport=5683, dport=5683) / coap_get(0x1234, "rd"),
      A.s(), B.s(), "NH inline 17 (UDP header uncompressed), CoAP GET /rd", tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(B.s()), dst=ll(A.s()), hlim=64) / UDP(sport=5683, dport=5683) / coap_get(0x1235, "rd"),
      B.s(), A.s(), "NHC UDP P=00, CoAP GET /rd", udp=dict(C=0, P=0), tf=3, hlim=2, sam=3, dam=3)
    # --- MAC variants: 2003 frame, no PAN ID compression / inter-PAN
    ip = freeze(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / u(50000, 50001, "v2003"))
    head, _, rest = compress(ip, udp=dict(C=0, P=0), tf=3, hlim=2, sam=3, dam=3)
    cap.expect_ip(cap.add(head + rest, A.s(), B.s(), "802.15.4-2003 frame, src PAN present (same PAN)",
                          src_pan=PAN, ver=0), ip)
    cap.expect_ip(cap.add(head + rest, A.s(), B.s(), "802.15.4-2006 frame, inter-PAN (src PAN 0x1234)",
                          src_pan=0x1234), ip)
    return cap


def hc1():
    cap = Capture("hc1.pcap", LINKTYPE_NOFCS, 4)

    def send(ip, src, dst, note, **f):
        ip = freeze(ip)
        if "hc2Field" in f:
            f["hc2Field"] = LoWPAN_HC2_UDP(**f["hc2Field"])
        lp = LoWPAN_HC1(**f) / ip
        n = cap.add(raw(lp), src, dst, note)
        cap.expect_ip(n, ip)

    full = dict(sp=1, si=1, dp=1, di=1)
    send(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / UDP(sport=0xF0B1, dport=0xF0B2) / b"hc1 sc dc lc",
         A.x(), B.x(), "HC1 all compressed, HC2 UDP SC=DC=LC=1", tc_fl=1, hc2Field=dict(sc=1, dc=1, lc=1), **full)
    send(IPv6(src=ll(B.x()), dst=ll(A.x()), hlim=64) / UDP(sport=50000, dport=50001) / b"hc1 inline",
         B.x(), A.x(), "HC1 all compressed, HC2 UDP ports+length inline", tc_fl=1, hc2Field=dict(sc=0, dc=0, lc=0), **full)
    send(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / ICMPv6EchoRequest(id=0x4331, seq=1, data=b"hc1 icmp"),
         A.x(), B.x(), "HC1 NH=ICMP echo request", tc_fl=1, nh=2, **full)
    send(IPv6(src=ll(B.x()), dst=ll(A.x()), hlim=64) / ICMPv6EchoReply(id=0x4331, seq=1, data=b"hc1 icmp"),
         B.x(), A.x(), "HC1 NH=ICMP echo reply", tc_fl=1, nh=2, **full)
    send(IPv6(src="2001:db8::a", dst="2001:db8::b", hlim=64) / UDP(sport=0xF0B3, dport=0xF0B4) / b"hc1 global",
         A.x(), B.x(), "HC1 SP=SI=DP=DI=0 (addresses inline), HC2 UDP compressed",
         sp=0, si=0, dp=0, di=0, tc_fl=1, hc2Field=dict(sc=1, dc=1, lc=1))
    send(IPv6(src="fe80::1234:5678:9abc:def0", dst=ll(B.x()), hlim=7) / ICMPv6EchoRequest(id=0x4331, seq=2, data=b"hc1 iid"),
         A.x(), B.x(), "HC1 SP=1 SI=0 (IID inline)", sp=1, si=0, dp=1, di=1, tc_fl=1, nh=2)
    send(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64, tc=0xB8, fl=0x12345) / UDP(sport=0xF0B5, dport=50002) / b"hc1 tc fl",
         A.x(), B.x(), "HC1 TC+FL inline (28 bits) + HC2 SC=1 DC=0 (byte-aligned)", tc_fl=0,
         hc2Field=dict(sc=1, dc=0, lc=1), **full)
    return cap


def ipv6_uncompressed():
    cap = Capture("ipv6-uncompressed.pcap", LINKTYPE_NOFCS, 5)
    P41 = raw(LoWPANUncompressedIPv6())
    assert P41 == b"\x41"

    def send(ip, src, dst, note, **kw):
        ip = freeze(ip)
        n = cap.add(P41 + raw(ip), src, dst, note, **kw)
        cap.expect_ip(n, ip)

    send(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / ICMPv6EchoRequest(id=0x41, seq=1, data=b"uncompressed"),
         A.s(), B.s(), "0x41 ICMPv6 echo request")
    send(IPv6(src=ll(B.s()), dst=ll(A.s()), hlim=64) / ICMPv6EchoReply(id=0x41, seq=1, data=b"uncompressed"),
         B.s(), A.s(), "0x41 ICMPv6 echo reply")
    send(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64, tc=0xB8, fl=0xFEDCB) / UDP(sport=50000, dport=50001) / b"41 tc fl",
         A.x(), B.x(), "0x41 UDP, traffic class 0xb8, flow label 0xfedcb")
    send(IPv6(src="2001:db8::a", dst="ff02::1", hlim=255) / IPv6ExtHdrHopByHop(options=[RplOption(RplInstanceId=0x1e, SenderRank=0x0100)])
         / UDP(sport=50002, dport=50003) / b"41 hbh",
         A.s(), BCAST, "0x41 HBH (RPL option) + UDP to ff02::1")
    send(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / UDP(sport=50004, dport=50005) / b"802.15.4-2003",
         A.s(), B.s(), "0x41 in an 802.15.4-2003 frame without PAN ID compression", src_pan=PAN, ver=0)
    ip = IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / ICMPv6EchoRequest(id=0x41, seq=2, data=pattern(300, 0x41))
    ip, fr = cap.fragments(ip, A.x(), B.x(), 0x4141, uncompressed=True)
    cap.send_fragments(ip, fr, range(len(fr)), A.x(), B.x(), "0x41 echo 300 B fragmented, tag 0x4141")
    return cap


def ext_headers():
    cap = Capture("ext-headers.pcap", LINKTYPE_FCS, 6)
    rpl = lambda: IPv6ExtHdrHopByHop(options=[RplOption(RplInstanceId=0x1E, SenderRank=0x0200)])
    # Tunnel Encapsulation Limit (RFC 2473, type 4, 1 byte) + PadN to 8 octets.
    dst = lambda: IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=4, optlen=1, optdata=b"\x04"), PadN(optlen=1, optdata=b"\x00")],
                                    autopad=0)
    u = lambda sp, dp, label: UDP(sport=sp, dport=dp) / text(16, label)
    S = cap.single
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / rpl() / u(0xF0B1, 0xF0B2, "hbh-rpl udp"),
      A.x(), B.x(), "NHC-EH HBH (RPL option, NH=1) + NHC UDP", eh=True, udp=dict(C=0, P=3),
      tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / rpl() / ICMPv6EchoRequest(id=0xEE, seq=1, data=b"hbh-rpl icmp"),
      A.s(), B.s(), "NHC-EH HBH (NH=0, next header 58 inline) + ICMPv6", eh=True, tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src=ll(B.s()), dst=ll(A.s()), hlim=64) / dst() / u(50000, 50001, "dstopt udp"),
      B.s(), A.s(), "NHC-EH DestOpt (tunnel encap limit + PadN) + NHC UDP", eh=True, udp=dict(C=0, P=0),
      tf=3, hlim=2, sam=3, dam=3)
    S(IPv6(src="2001:db8::a", dst="2001:db8::b", hlim=64) / rpl() / dst() / u(0xF0B3, 0xF0B4, "hbh+dst udp"),
      A.x(), B.s(), "NHC-EH HBH + NHC-EH DestOpt + NHC UDP, global inline", eh=True, udp=dict(C=0, P=3),
      tf=3, hlim=2, sam=0, dam=0)
    S(IPv6(src=ll(A.x()), dst=ll(B.x()), hlim=64) / rpl() / u(50002, 50003, "hbh inline"),
      A.x(), B.x(), "IPHC NH=0 next header 0, HBH and UDP uncompressed", tf=3, hlim=2, sam=3, dam=3)
    ip = IPv6(src=ll(A.s()), dst=ll(B.s()), hlim=64) / rpl() / UDP(sport=0xF0B5, dport=0xF0B6) / text(300, "hbh-frag")
    ip, fr = cap.fragments(ip, A.s(), B.s(), 0xEEEE, eh=True, udp=dict(C=0, P=3), tf=3, hlim=2, sam=3, dam=3)
    cap.send_fragments(ip, fr, range(len(fr)), A.s(), B.s(), "FRAG + NHC-EH HBH + NHC UDP 300 B, tag 0xeeee")
    return cap


FILES = [frag_icmpv6_echo, frag_udp, mesh_bc0, iphc_forms, hc1, ipv6_uncompressed, ext_headers]


# ------------------------------------------------------------------- verify


def tshark(path, contexts, *args):
    cmd = ["tshark", "-n", "-r", path, "-o", "udp.check_checksum:TRUE"]
    for i, c in enumerate(contexts):
        cmd += ["-o", "6lowpan.context%d:%s" % (i, c)]
    out = subprocess.run(cmd + list(args), check=True, capture_output=True, text=True).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def verify(cap, path):
    """tshark must decode every datagram to the IPv6 header scapy built, in
    the frame that completes it, with good checksums and nothing malformed."""
    ok = True
    rows = tshark(path, cap.contexts, "-Y", "ipv6", "-T", "fields", "-E", "occurrence=f",
                  "-e", "frame.number", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.plen",
                  "-e", "ipv6.nxt", "-e", "ipv6.hlim", "-e", "ipv6.tclass", "-e", "ipv6.flow",
                  "-e", "udp.checksum.status", "-e", "icmpv6.checksum.status")
    got = [(int(r[0]), str(ipaddress.IPv6Address(r[1])), str(ipaddress.IPv6Address(r[2])), int(r[3]),
            int(r[4]), int(r[5]), int(r[6], 0), int(r[7], 0)) for r in rows]
    want = sorted((e[0], str(ipaddress.IPv6Address(e[1])), str(ipaddress.IPv6Address(e[2])), *e[3:]) for e in cap.expect)
    if got != want:
        ok = False
        print("  MISMATCH", cap.name)
        for w in want:
            if w not in got:
                print("    expected, not shown by tshark:", w)
        for g in got:
            if g not in want:
                print("    shown by tshark, not expected:", g)
    for r in rows:
        if int(r[0]) in cap.elided_frames:
            continue  # tshark 4.0 does not recompute an elided UDP checksum
        for st in r[8:10]:
            if st not in ("", "1"):
                ok = False
                print("  frame %s: checksum status %s (1 = good)" % (r[0], st))
    bad = tshark(path, cap.contexts, "-Y", "_ws.malformed || _ws.expert.severity >= error",
                 "-T", "fields", "-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.group")
    for b in bad:
        n, malformed, groups = int(b[0]), b[1] if len(b) > 1 else "", b[2] if len(b) > 2 else ""
        if n in cap.elided_frames and not malformed and {int(g, 0) for g in groups.split(",")} == {0x01000000}:
            continue  # only the checksum expert item (PI_CHECKSUM), see above
        ok = False
        print("  frame %d: malformed or expert error (%s)" % (n, b[1:]))
    total = len(tshark(path, cap.contexts, "-T", "fields", "-e", "frame.number"))
    print("  %-24s %3d frames, %2d IPv6 datagrams: %s" % (cap.name, total, len(got), "ok" if ok else "FAILED"))
    return ok


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "6lo"))
    ap.add_argument("--verify", action="store_true", help="check every file with tshark")
    ap.add_argument("--notes", action="store_true", help="print what each frame exercises")
    args = ap.parse_args()
    import scapy
    if scapy.__version__ != SCAPY_PIN:
        print("warning: scapy %s, captures were recorded with %s" % (scapy.__version__, SCAPY_PIN), file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    ok = True
    for make in FILES:
        cap = make()
        path = cap.write(args.out)
        if args.notes:
            print("%s (linktype %d)" % (cap.name, cap.linktype))
            for i, n in enumerate(cap.notes, 1):
                print("  %2d  %s" % (i, n))
        if args.verify:
            ok &= verify(cap, path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
