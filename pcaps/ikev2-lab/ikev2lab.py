#!/usr/bin/env python3
"""Helper for pcaps/record-ikev2: key tables, logs and checks for the IKEv2 captures.

Sub-commands (all read-only on their inputs):

  keys    --log KEYS.LOG [--log ...] --pcap F.pcap --out F.keys
          Turn the SKEYSEED/SK_* hex dumps that charon's filelog prints at
          `ike = 4` into a Wireshark `ikev2_decryption_table` (one line per IKE
          SA).  Each key set is bound to its SPI pair by decrypting the
          capture with it (ICV / AEAD tag must verify), so the mapping does not
          depend on log order; SPIs of rekeyed IKE SAs come from the decrypted
          CREATE_CHILD_SA exchange.
  log     --role NAME DIR [--role NAME DIR ...] --out F.log
          Compose the stored log: charon's one-line-per-event log of every
          daemon plus the key dump lines, trimmed below 50 KB.
  check   --pcap F.pcap [--keys F.keys] [--scenario NAME] [--quiet]
          Decode F.pcap twice -- with tshark (using F.keys) and with this
          script's own IKEv2 decryptor (python3-cryptography) -- and compare
          both against the scenario's expectations.  Exit status 1 on mismatch.

Independent of the Rust code in this repository on purpose: it is one of the
two oracles the captures are checked with (tshark is the other).
"""

import argparse
import csv
import hashlib
import hmac
import os
import re
import struct
import subprocess
import sys

# --------------------------------------------------------------------------
# IANA code points (RFC 7296 and the IKEv2 registry) used below
# --------------------------------------------------------------------------

EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL",
             43: "IKE_INTERMEDIATE"}
PAYLOADS = {33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH",
            40: "Ni/Nr", 41: "N", 42: "D", 43: "V", 44: "TSi", 45: "TSr", 46: "SK", 47: "CP",
            48: "EAP", 53: "SKF"}
NOTIFIES = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 11: "INVALID_SPI", 14: "NO_PROPOSAL_CHOSEN",
    17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED", 34: "SINGLE_PAIR_REQUIRED",
    35: "NO_ADDITIONAL_SAS", 36: "INTERNAL_ADDRESS_FAILURE", 37: "FAILED_CP_REQUIRED",
    38: "TS_UNACCEPTABLE", 39: "INVALID_SELECTORS", 43: "TEMPORARY_FAILURE",
    44: "CHILD_SA_NOT_FOUND",
    16384: "INITIAL_CONTACT", 16385: "SET_WINDOW_SIZE", 16386: "ADDITIONAL_TS_POSSIBLE",
    16387: "IPCOMP_SUPPORTED", 16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16391: "USE_TRANSPORT_MODE",
    16392: "HTTP_CERT_LOOKUP_SUPPORTED", 16393: "REKEY_SA", 16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
    16395: "NON_FIRST_FRAGMENTS_ALSO", 16396: "MOBIKE_SUPPORTED", 16397: "ADDITIONAL_IP4_ADDRESS",
    16398: "ADDITIONAL_IP6_ADDRESS", 16399: "NO_ADDITIONAL_ADDRESSES",
    16400: "UPDATE_SA_ADDRESSES", 16401: "COOKIE2", 16402: "NO_NATS_ALLOWED",
    16403: "AUTH_LIFETIME", 16404: "MULTIPLE_AUTH_SUPPORTED", 16405: "ANOTHER_AUTH_FOLLOWS",
    16406: "REDIRECT_SUPPORTED", 16407: "REDIRECT", 16408: "REDIRECTED_FROM",
    16417: "EAP_ONLY_AUTHENTICATION", 16418: "CHILDLESS_IKEV2_SUPPORTED",
    16419: "QUICK_CRASH_DETECTION", 16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
    16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED", 16422: "IKEV2_MESSAGE_ID_SYNC",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS",
}
ENCR = {3: "3DES", 12: "AES_CBC", 13: "AES_CTR", 14: "AES_CCM_8", 15: "AES_CCM_12",
        16: "AES_CCM_16", 18: "AES_GCM_8", 19: "AES_GCM_12", 20: "AES_GCM_16",
        28: "CHACHA20_POLY1305"}
PRF = {1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 4: "PRF_AES128_XCBC", 5: "PRF_HMAC_SHA2_256",
       6: "PRF_HMAC_SHA2_384", 7: "PRF_HMAC_SHA2_512"}
INTEG = {0: "NONE", 1: "HMAC_MD5_96", 2: "HMAC_SHA1_96", 5: "AES_XCBC_96",
         12: "HMAC_SHA2_256_128", 13: "HMAC_SHA2_384_192", 14: "HMAC_SHA2_512_256"}
DH = {2: "MODP_1024", 14: "MODP_2048", 15: "MODP_3072", 19: "ECP_256", 20: "ECP_384",
      21: "ECP_521", 31: "CURVE_25519", 32: "CURVE_448"}

# integrity transform -> (hash, ICV length); used for non-AEAD ciphers
INTEG_ALGS = {2: (hashlib.sha1, 12), 12: (hashlib.sha256, 16), 13: (hashlib.sha384, 24),
              14: (hashlib.sha512, 32), 1: (hashlib.md5, 12)}

# Wireshark's names in the ikev2_decryption_table UAT (epan/dissectors/packet-isakmp.c,
# vs_ikev2_encr_algs / vs_ikev2_auth_algs; checked against tshark 4.0.17's strings).
WS_ENCR = {
    ("3DES", 192): "3DES [RFC2451]",
    ("AES_CBC", 128): "AES-CBC-128 [RFC3602]", ("AES_CBC", 192): "AES-CBC-192 [RFC3602]",
    ("AES_CBC", 256): "AES-CBC-256 [RFC3602]",
    ("AES_CTR", 128): "AES-CTR-128 [RFC5930]", ("AES_CTR", 192): "AES-CTR-192 [RFC5930]",
    ("AES_CTR", 256): "AES-CTR-256 [RFC5930]",
}
for _mode, _wsname in (("GCM", "AES-GCM"), ("CCM", "AES-CCM")):
    for _icv in (8, 12, 16):
        for _bits in (128, 192, 256):
            WS_ENCR[("AES_%s_%d" % (_mode, _icv), _bits)] = (
                "%s-%d with %d octet ICV [RFC5282]" % (_wsname, _bits, _icv))
WS_INTEG = {0: "NONE [RFC4306]", 1: "HMAC_MD5_96 [RFC2403]", 2: "HMAC_SHA1_96 [RFC2404]",
            12: "HMAC_SHA2_256_128 [RFC4868]", 13: "HMAC_SHA2_384_192 [RFC4868]",
            14: "HMAC_SHA2_512_256 [RFC4868]"}
# Not in Wireshark 4.0.17's list: written anyway so the file keeps the
# same 8 columns; tshark refuses to load such a line.
WS_UNSUPPORTED = {("CHACHA20_POLY1305", 256): "CHACHA20-POLY1305 [RFC7634]"}


def nname(table, value):
    return table.get(value, str(value))


# --------------------------------------------------------------------------
# pcap reading (classic libpcap as written by tcpdump; Ethernet or Linux SLL)
# --------------------------------------------------------------------------

def read_pcap(path):
    """Yield (frame_no, udp_src, udp_dst, udp_payload)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit("%s: not a pcap file" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit("%s: not a classic pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, n = 24, 0
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        if linktype == 1:
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            ip = pkt[14:]
        elif linktype == 113:
            if len(pkt) < 16 or pkt[14:16] != b"\x08\x00":
                continue
            ip = pkt[16:]
        elif linktype in (101, 228):
            ip = pkt
        else:
            raise SystemExit("%s: unsupported link type %d" % (path, linktype))
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        if len(udp) < 8:
            continue
        sport, dport, ulen = struct.unpack(">HHH", udp[:6])
        yield n, sport, dport, udp[8:ulen]


class Msg:
    """One IKEv2 message as seen on the wire."""

    def __init__(self, frame, sport, dport, raw):
        self.frame, self.sport, self.dport = frame, sport, dport
        length = struct.unpack(">I", raw[24:28])[0]
        self.raw = raw[:length] if 28 <= length <= len(raw) else raw
        self.ispi, self.rspi = raw[0:8], raw[8:16]
        self.first = raw[16]
        self.version = raw[17]
        self.exch = raw[18]
        self.flags = raw[19]
        self.msgid = struct.unpack(">I", raw[20:24])[0]
        self.length = struct.unpack(">I", raw[24:28])[0]
        self.is_response = bool(self.flags & 0x20)
        self.from_initiator = bool(self.flags & 0x08)
        self.payloads = []      # cleartext payload chain: list of (type, body)
        self.inner = None       # decrypted inner payloads (None: not decrypted)
        self.frag = None        # (number, total) for SKF
        self.sa = None          # SPI pair key of the IKE SA that protects this message
        self.error = None

    @property
    def pair(self):
        return (self.ispi, self.rspi)


def parse_chain(first, data, base=0):
    """Generic payload chain -> [(type, body, offset_of_payload_header)]."""
    out, off, nxt = [], 0, first
    while nxt != 0:
        if off + 4 > len(data):
            raise ValueError("payload %d truncated at offset %d" % (nxt, base + off))
        np_, _crit, plen = struct.unpack(">BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            raise ValueError("bad length %d of payload %d at offset %d" % (plen, nxt, base + off))
        out.append((nxt, data[off + 4:off + plen], base + off))
        if nxt in (46, 53):      # SK / SKF: last payload, next payload = first inner
            out[-1] = (nxt, data[off + 4:off + plen], base + off, np_)
            break
        nxt = np_
        off += plen
    return out


def read_ike(path):
    msgs, other = [], []
    for frame, sport, dport, payload in read_pcap(path):
        if 500 not in (sport, dport):
            if payload == b"\xff":
                other.append((frame, "NAT-keepalive"))
                continue
            if payload[:4] != b"\0\0\0\0":
                other.append((frame, "ESP"))
                continue
            payload = payload[4:]      # non-ESP marker (RFC 3948)
        if len(payload) < 28 or payload[17] >> 4 != 2:
            other.append((frame, "not IKEv2"))
            continue
        m = Msg(frame, sport, dport, payload)
        try:
            m.payloads = parse_chain(m.first, payload[28:m.length], 28)
        except ValueError as e:
            m.error = str(e)
        msgs.append(m)
    return msgs, other


# --------------------------------------------------------------------------
# SA payload
# --------------------------------------------------------------------------

def parse_sa(body):
    """SA payload body -> list of proposals {num, proto, spi, encr, keylen, prf, integ, dh}."""
    props, off = [], 0
    while off + 8 <= len(body):
        last, _, plen, num, proto, spisize, ntrans = struct.unpack(">BBHBBBB", body[off:off + 8])
        spi = body[off + 8:off + 8 + spisize]
        p = {"num": num, "proto": proto, "spi": spi, "encr": [], "prf": [], "integ": [], "dh": []}
        toff = off + 8 + spisize
        for _ in range(ntrans):
            tlast, _, tlen, ttype, _, tid = struct.unpack(">BBHBBH", body[toff:toff + 8])
            attrs = body[toff + 8:toff + tlen]
            keylen = None
            if len(attrs) >= 4 and struct.unpack(">H", attrs[:2])[0] == 0x800e:
                keylen = struct.unpack(">H", attrs[2:4])[0]
            key = {1: "encr", 2: "prf", 3: "integ", 4: "dh"}.get(ttype)
            if key:
                p[key].append((tid, keylen) if key == "encr" else tid)
            toff += tlen
        props.append(p)
        off += plen
        if last == 0:
            break
    return props


# --------------------------------------------------------------------------
# crypto (RFC 7296 section 3.14, RFC 5282, RFC 5930, RFC 7634, RFC 7383)
# --------------------------------------------------------------------------

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESCCM, ChaCha20Poly1305
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:          # cryptography < 43
        TripleDES = algorithms.TripleDES
    HAVE_CRYPTO = True
except ImportError:              # pragma: no cover
    HAVE_CRYPTO = False


class DecryptError(Exception):
    pass


def sk_decrypt(msg, start, end, algs, keys):
    """Decrypt one SK/SKF payload whose IV starts at msg.raw[start] and which ends at
    msg.raw[end].  Everything before `start` (IKE header and the SK/SKF payload header,
    i.e. also SKF's Fragment Number/Total Fragments) is the AEAD associated data
    (RFC 5282 section 5, RFC 7383 section 2.5).  Returns the plaintext without padding."""
    encr = algs["encr"][0]
    integ = algs["integ"]
    ek = keys["Sk_ei"] if msg.from_initiator else keys["Sk_er"]
    ak = keys.get("Sk_ai" if msg.from_initiator else "Sk_ar", b"")
    raw = msg.raw
    body = raw[start:end]
    aad = raw[:start]
    name = ENCR.get(encr, str(encr))
    if name in ("AES_GCM_16", "AES_GCM_12", "AES_GCM_8", "AES_CCM_16", "AES_CCM_12",
                "AES_CCM_8", "CHACHA20_POLY1305"):
        icv = int(name.rsplit("_", 1)[1]) if name.startswith("AES") else 16
        salt_len = 3 if "CCM" in name else 4
        key, salt = ek[:-salt_len], ek[-salt_len:]
        iv, ct = body[:8], body[8:]
        if "GCM" in name:
            aead = AESGCM(key)
        elif "CCM" in name:
            aead = AESCCM(key, tag_length=icv)
        else:
            aead = ChaCha20Poly1305(key)
        try:
            pt = aead.decrypt(salt + iv, ct, aad)
        except Exception:
            raise DecryptError("AEAD tag does not verify")
    else:
        h, icvlen = INTEG_ALGS.get(integ, (None, 0))
        if h is None:
            raise DecryptError("unsupported integrity %s" % integ)
        mac = hmac.new(ak, raw[:end - icvlen], h).digest()[:icvlen]
        if not hmac.compare_digest(mac, raw[end - icvlen:end]):
            raise DecryptError("ICV does not verify")
        data = body[:-icvlen]
        if name == "AES_CBC":
            iv, ct = data[:16], data[16:]
            dec = Cipher(algorithms.AES(ek), modes.CBC(iv)).decryptor()
        elif name == "3DES":
            iv, ct = data[:8], data[8:]
            dec = Cipher(TripleDES(ek), modes.CBC(iv)).decryptor()
        elif name == "AES_CTR":
            key, nonce = ek[:-4], ek[-4:]
            iv, ct = data[:8], data[8:]
            dec = Cipher(algorithms.AES(key), modes.CTR(nonce + iv + b"\0\0\0\1")).decryptor()
        else:
            raise DecryptError("unsupported cipher %s" % name)
        pt = dec.update(ct) + dec.finalize()
    if not pt:
        raise DecryptError("empty plaintext")
    padlen = pt[-1]
    if padlen + 1 > len(pt):
        raise DecryptError("bad pad length")
    return pt[:len(pt) - 1 - padlen]


def try_decrypt(msg, algs, keys):
    """Decrypt msg's SK or SKF payload; sets msg.inner / msg.frag. Raises DecryptError."""
    sk = [p for p in msg.payloads if p[0] in (46, 53)]
    if not sk:
        return False
    ptype, body, off, first_inner = sk[0]
    end = off + 4 + len(body)
    if ptype == 46:
        pt = sk_decrypt(msg, off + 4, end, algs, keys)
        msg.frag = None
    else:
        num, total = struct.unpack(">HH", body[:4])
        pt = sk_decrypt(msg, off + 8, end, algs, keys)
        msg.frag = (num, total)
    msg.plain = pt
    msg.first_inner = first_inner
    return True


# --------------------------------------------------------------------------
# charon key log
# --------------------------------------------------------------------------

KEY_RE = re.compile(r"^\S+ (\d+)\[IKE\] (?:<[^>]*> )?(SKEYSEED|Sk_\w+ secret) => (\d+) bytes")
HEX_RE = re.compile(r"^\S+ (\d+)\[IKE\] (?:<[^>]*> )?\s*\d+: ((?:[0-9A-F]{2} )+)")
PROP_RE = re.compile(r"selected proposal: IKE:(\S+)")


def parse_keylog(path):
    """Return list of key sets {SKEYSEED, Sk_d, Sk_ai, ... : bytes, '_lines': [..]}."""
    sets, current, lines_of = [], {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = KEY_RE.match(line)
            if m:
                thread, name, n = m.group(1), m.group(2).split()[0], int(m.group(3))
                if name == "SKEYSEED":
                    ks = {"_lines": [], "_thread": thread}
                    sets.append(ks)
                    lines_of[thread] = ks
                ks = lines_of.get(thread)
                if ks is None:
                    continue
                ks[name] = bytearray()
                ks["_len_" + name] = n
                ks["_lines"].append(line)
                current[thread] = name
                continue
            m = HEX_RE.match(line)
            if m and m.group(1) in current and lines_of.get(m.group(1)) is not None:
                ks = lines_of[m.group(1)]
                ks[current[m.group(1)]] += bytes.fromhex(m.group(2).replace(" ", ""))
                ks["_lines"].append(line)
                continue
            mm = re.match(r"^\S+ (\d+)\[", line)
            if mm:
                current.pop(mm.group(1), None)
    for ks in sets:
        for k in list(ks):
            if k.startswith("Sk_") or k == "SKEYSEED":
                ks[k] = bytes(ks[k])
                if len(ks[k]) != ks["_len_" + k]:
                    raise SystemExit("%s: %s dump has %d bytes, expected %d"
                                     % (path, k, len(ks[k]), ks["_len_" + k]))
    return sets


# --------------------------------------------------------------------------
# binding keys to SAs and decrypting a whole capture
# --------------------------------------------------------------------------

def chosen_algs(props):
    p = props[0]
    return {"encr": p["encr"][0] if p["encr"] else (None, None),
            "prf": p["prf"][0] if p["prf"] else None,
            "integ": p["integ"][0] if p["integ"] else 0,
            "dh": p["dh"][0] if p["dh"] else None}


def encr_bits(encr):
    eid, bits = encr
    if eid == 3:
        return 192
    if eid == 28:
        return 256
    return bits


def decode_capture(msgs, keysets):
    """Bind key sets to IKE SAs and decrypt.  Returns ordered dict pair -> sa info."""
    sas = {}                          # pair -> {"algs", "keys", "first"}
    unassigned = list(keysets)
    pending_rekey = {}                # (pair, msgid) -> request proposals
    for m in msgs:
        if m.error:
            continue
        if m.exch == 34 and m.is_response:
            sa = [p for p in m.payloads if p[0] == 33]
            ke = [p for p in m.payloads if p[0] == 34]
            if sa and ke and m.pair not in sas:
                sas[m.pair] = {"algs": chosen_algs(parse_sa(sa[0][1])), "keys": None,
                               "first": m.frame, "origin": "IKE_SA_INIT"}
            continue
        if not any(p[0] in (46, 53) for p in m.payloads):
            continue
        sa = sas.get(m.pair)
        if sa is None:
            m.error = "no IKE SA known for SPIs %s/%s" % (m.ispi.hex(), m.rspi.hex())
            continue
        if not HAVE_CRYPTO:
            m.error = "python3-cryptography missing"
            continue
        if sa["keys"] is None:
            for ks in unassigned:
                try:
                    try_decrypt(m, sa["algs"], ks)
                except DecryptError:
                    continue
                sa["keys"] = ks
                unassigned.remove(ks)
                break
            else:
                m.error = "no logged key set decrypts this message"
                continue
        else:
            try:
                try_decrypt(m, sa["algs"], sa["keys"])
            except DecryptError as e:
                m.error = str(e)
                continue
        m.sa = m.pair
    # reassemble SKF fragments (RFC 7383) per (pair, msgid, direction)
    groups = {}
    for m in msgs:
        if getattr(m, "plain", None) is not None and m.frag:
            groups.setdefault((m.pair, m.msgid, m.is_response), []).append(m)
    for key, frags in groups.items():
        frags.sort(key=lambda x: x.frag[0])
        total = frags[0].frag[1]
        nums = sorted(set(x.frag[0] for x in frags))
        if nums == list(range(1, total + 1)):
            seen, data = set(), b""
            for x in frags:
                if x.frag[0] in seen:
                    continue
                seen.add(x.frag[0])
                data += x.plain
            last = [x for x in frags if x.frag[0] == total][0]
            first = [x for x in frags if x.frag[0] == 1][0]
            last.reassembled = (first.first_inner, data, [x.frame for x in frags])
    for m in msgs:
        if getattr(m, "plain", None) is None:
            continue
        if m.frag:
            r = getattr(m, "reassembled", None)
            if r is None:
                m.inner = []
                continue
            first, data = r[0], r[1]
        else:
            first, data = m.first_inner, m.plain
        try:
            m.inner = parse_chain(first, data)
        except ValueError as e:
            m.error = "inner: %s" % e
            m.inner = []
            continue
        # IKE SA rekey: CREATE_CHILD_SA whose SA payload proposes protocol IKE (1)
        if m.exch == 36:
            sa_pl = [p for p in m.inner if p[0] == 33]
            if sa_pl:
                props = parse_sa(sa_pl[0][1])
                if props and props[0]["proto"] == 1:
                    k = (m.pair, m.msgid)
                    if not m.is_response:
                        pending_rekey[k] = props
                    elif k in pending_rekey:
                        req = pending_rekey.pop(k)
                        new_pair = (req[0]["spi"], props[0]["spi"])
                        if new_pair not in sas:
                            sas[new_pair] = {"algs": chosen_algs(props), "keys": None,
                                             "first": m.frame,
                                             "origin": "CREATE_CHILD_SA (rekey of %s)"
                                             % m.ispi.hex()}
                            # messages of the new SA come later; decrypt them now
                            later = [x for x in msgs if x.pair == new_pair and x.frame > m.frame]
                            if later:
                                decode_capture_tail(sas, unassigned, later, msgs)
    # SAs never used in the capture: bind remaining key sets in log order
    for pair, sa in sas.items():
        if sa["keys"] is None and unassigned and sa["origin"] != "IKE_SA_INIT":
            sa["keys"] = unassigned.pop(0)
            sa["unverified"] = True
    return sas


def decode_capture_tail(sas, unassigned, later, msgs):
    """Decrypt the messages of a freshly created (rekeyed) SA."""
    pair = later[0].pair
    sa = sas[pair]
    for m in later:
        if m.error and not m.error.startswith("no IKE SA known"):
            continue
        m.error = None
        if sa["keys"] is None:
            for ks in unassigned:
                try:
                    try_decrypt(m, sa["algs"], ks)
                except DecryptError:
                    continue
                sa["keys"] = ks
                unassigned.remove(ks)
                break
            else:
                m.error = "no logged key set decrypts this message"
                continue
        else:
            try:
                try_decrypt(m, sa["algs"], sa["keys"])
            except DecryptError as e:
                m.error = str(e)
                continue
        m.sa = pair
        if not m.frag:
            try:
                m.inner = parse_chain(m.first_inner, m.plain)
            except ValueError as e:
                m.error = "inner: %s" % e


def ws_line(pair, sa):
    encr = sa["algs"]["encr"]
    name = ENCR.get(encr[0], str(encr[0]))
    bits = encr_bits(encr)
    ws_encr = WS_ENCR.get((name, bits)) or WS_UNSUPPORTED.get((name, bits))
    if ws_encr is None:
        raise SystemExit("no Wireshark name for %s-%s" % (name, bits))
    keys = sa["keys"]
    aead = keys.get("Sk_ai") is None or name.startswith(("AES_GCM", "AES_CCM", "CHACHA"))
    integ = 0 if aead else sa["algs"]["integ"]
    return ",".join([
        pair[0].hex(), pair[1].hex(), keys["Sk_ei"].hex(), keys["Sk_er"].hex(),
        '"%s"' % ws_encr,
        "" if aead else keys["Sk_ai"].hex(), "" if aead else keys["Sk_ar"].hex(),
        '"%s"' % WS_INTEG[integ]])


def cmd_keys(args):
    keysets = []
    for path in args.log:
        for ks in parse_keylog(path):
            if all(ks["Sk_d"] != k["Sk_d"] for k in keysets):
                keysets.append(ks)
    msgs, _ = read_ike(args.pcap)
    sas = decode_capture(msgs, keysets)
    lines = []
    for pair, sa in sas.items():
        if sa["keys"] is None:
            continue
        lines.append(ws_line(pair, sa))
    bad = [m for m in msgs if m.error]
    for m in bad:
        print("%s: frame %d: %s" % (args.pcap, m.frame, m.error), file=sys.stderr)
    unsupported = any(ENCR.get(sa["algs"]["encr"][0]) == "CHACHA20_POLY1305"
                      for sa in sas.values() if sa["keys"])
    with open(args.out, "w") as f:
        f.write("# Wireshark ikev2_decryption_table for %s (one line per IKE SA):\n"
                % os.path.basename(args.pcap))
        f.write("# SPIi,SPIr,SK_ei,SK_er,encryption,SK_ai,SK_ar,integrity"
                " (AEAD: SK_e = key|salt, no SK_a)\n")
        if unsupported:
            f.write("# NOTE: Wireshark 4.0 has no IKEv2 ChaCha20-Poly1305 decryption; tshark will\n"
                    "# refuse this algorithm name. Checked with ikev2lab.py (python3-cryptography).\n")
        for line in lines:
            f.write(line + "\n")
    if not lines and any(any(p[0] in (46, 53) for p in m.payloads) for m in msgs):
        print("%s: encrypted messages but no key set bound" % args.pcap, file=sys.stderr)
        return 1
    return 1 if bad else 0


# --------------------------------------------------------------------------
# log composition
# --------------------------------------------------------------------------

LOG_LIMIT = 48 * 1024


def cmd_log(args):
    out = []
    out.append("# charon logs (strongSwan %s) for %s; keys are random per run.\n"
               % (args.version or "?", os.path.basename(args.out).rsplit(".", 1)[0]))
    for role, d in args.role:
        summ = os.path.join(d, "summary.log")
        keyl = os.path.join(d, "keys.log")
        out.append("\n######## %s: events (filelog default = 1) ########\n" % role)
        if os.path.exists(summ):
            with open(summ, errors="replace") as f:
                out.extend(f.readlines())
        out.append("\n######## %s: IKE SA keys (filelog ike = 4, key lines only) ########\n"
                   % role)
        if os.path.exists(keyl):
            for ks in parse_keylog(keyl):
                out.extend(line + "\n" for line in ks["_lines"])
    text = "".join(out)
    if len(text.encode()) > LOG_LIMIT:
        keep = LOG_LIMIT // 2
        text = (text[:keep] + "\n[... %d bytes trimmed ...]\n" % (len(text) - 2 * keep)
                + text[-keep:])
    with open(args.out, "w") as f:
        f.write(text)
    return 0


# --------------------------------------------------------------------------
# checking: tshark and this decoder against the scenario's expectations
# --------------------------------------------------------------------------

def msg_token(m, inner=None):
    """e.g. 'IKE_AUTH req [IDi AUTH SA TSi TSr N(INITIAL_CONTACT)]'."""
    pls = inner if inner is not None else m.payloads
    names = []
    for p in pls:
        t, body = p[0], p[1]
        if t == 41 and len(body) >= 4:
            names.append("N(%s)" % nname(NOTIFIES, struct.unpack(">H", body[2:4])[0]))
        elif t == 42 and len(body) >= 4:
            names.append("D(%s)" % {1: "IKE", 2: "AH", 3: "ESP"}.get(body[0], body[0]))
        elif t == 33:
            props = parse_sa(body)
            names.append("SA(%s)" % ({1: "IKE", 3: "ESP"}.get(props[0]["proto"], "?")
                                     if props else "?"))
        elif t == 34 and len(body) >= 2:
            names.append("KE(%d)" % struct.unpack(">H", body[:2])[0])
        elif t in (35, 36) and len(body) >= 4:
            names.append("%s(%s)" % (PAYLOADS[t], body[4:].decode("ascii", "replace")))
        else:
            names.append(PAYLOADS.get(t, str(t)))
    return names


# Expected messages, in order, per capture.  Each item: (exchange, "req"/"resp",
# [substrings that must appear among the (decrypted) payload names]).
# Other messages may come in between (e.g. retransmissions).
BASIC = [(34, "req", ["SA(IKE)", "KE", "Ni/Nr"]), (34, "resp", ["SA(IKE)", "KE"]),
         (35, "req", ["IDi(initiator@test.local)", "AUTH", "SA(ESP)", "TSi", "TSr"]),
         (35, "resp", ["IDr(responder@test.local)", "AUTH", "SA(ESP)"]),
         (37, "req", ["D(IKE)"]), (37, "resp", [])]

SCENARIOS = {
    "aes-cbc-sha256-modp2048": {"expect": BASIC, "ike": ("AES_CBC", 128, 12, 5, 14)},
    "aes-gcm-ecp256": {"expect": BASIC, "ike": ("AES_GCM_16", 256, 0, 6, 19)},
    "aes-ctr-x25519": {"expect": BASIC, "ike": ("AES_CTR", 256, 12, 5, 31)},
    "aes-ccm-x25519": {"expect": BASIC, "ike": ("AES_CCM_16", 128, 0, 5, 31)},
    "3des-sha1-modp2048": {"expect": BASIC, "ike": ("3DES", None, 2, 2, 14)},
    "chacha20poly1305-x25519": {"expect": BASIC, "ike": ("CHACHA20_POLY1305", None, 0, 5, 31),
                                "tshark_cannot_decrypt": True},
    "natt-rekey-delete": {
        "expect": [(34, "req", ["N(NAT_DETECTION_SOURCE_IP)"]),
                   (34, "resp", ["N(NAT_DETECTION_SOURCE_IP)"]),
                   (35, "req", ["IDi(initiator@test.local)", "N(MOBIKE_SUPPORTED)"]),
                   (35, "resp", ["IDr(responder@test.local)", "SA(ESP)"]),
                   (36, "req", ["SA(IKE)", "KE", "Ni/Nr"]), (36, "resp", ["SA(IKE)", "KE"]),
                   (37, "req", ["D(IKE)"]), (37, "resp", []),
                   (36, "req", ["N(REKEY_SA)", "SA(ESP)", "KE", "TSi"]),
                   (36, "resp", ["SA(ESP)", "KE", "TSr"]),
                   (37, "req", ["D(ESP)"]), (37, "resp", ["D(ESP)"]),
                   (37, "req", ["D(ESP)"]), (37, "resp", ["D(ESP)"]),
                   (37, "req", ["D(IKE)"]), (37, "resp", [])],
        "ike": ("AES_GCM_16", 256, 0, 5, 31), "port4500": True, "ike_sas": 2},
    "fragmentation": {
        "expect": [(34, "req", ["N(IKEV2_FRAGMENTATION_SUPPORTED)"]),
                   (34, "resp", ["N(IKEV2_FRAGMENTATION_SUPPORTED)"]),
                   (35, "req", ["IDi(initiator@test.local)"]),
                   (35, "resp", ["IDr(responder@test.local)"]),
                   (37, "req", ["D(IKE)"]), (37, "resp", [])],
        "ike": ("AES_CBC", 256, 12, 5, 31), "skf": True},
    "wrong-psk": {
        "expect": [(34, "req", []), (34, "resp", []),
                   (35, "req", ["IDi(initiator@test.local)", "AUTH"]),
                   (35, "resp", ["N(AUTHENTICATION_FAILED)"])],
        "ike": ("AES_CBC", 128, 12, 5, 19)},
    "no-proposal": {
        "expect": [(34, "req", ["SA(IKE)"]), (34, "resp", ["N(NO_PROPOSAL_CHOSEN)"])],
        "no_keys": True},
    "invalid-ke": {
        "expect": [(34, "req", ["KE(19)"]), (34, "resp", ["N(INVALID_KE_PAYLOAD)"]),
                   (34, "req", ["KE(14)"]), (34, "resp", ["SA(IKE)", "KE(14)"]),
                   (35, "req", ["IDi(initiator@test.local)"]),
                   (35, "resp", ["IDr(responder@test.local)"]),
                   (37, "req", ["D(IKE)"]), (37, "resp", [])],
        "ike": ("AES_CBC", 128, 12, 5, 14)},
    "cookie": {
        "expect": [(34, "req", []), (34, "resp", ["SA(IKE)", "KE"]),
                   (34, "req", []), (34, "resp", ["N(COOKIE)"]),
                   (34, "req", ["N(COOKIE)", "SA(IKE)", "KE"]), (34, "resp", ["SA(IKE)", "KE"]),
                   (35, "req", ["IDi(initiator@test.local)"]),
                   (35, "resp", ["IDr(responder@test.local)"])],
        "ike": ("AES_CBC", 128, 12, 5, 31), "ike_sas": 2},
    "child-sa-kernel-refused": {
        "expect": [(34, "req", []), (34, "resp", []),
                   (35, "req", ["IDi(initiator@test.local)", "SA(ESP)"]),
                   (35, "resp", ["IDr(responder@test.local)", "AUTH", "N(NO_PROPOSAL_CHOSEN)"])],
        "ike": ("AES_GCM_16", 128, 0, 5, 31)},
}


def tshark_messages(pcap, keylines):
    """Run tshark; return {frame: dict(fields)} and the raw expert messages."""
    fields = ["frame.number", "isakmp.exchangetype", "isakmp.flag_r", "isakmp.notify.msgtype",
              "isakmp.enc.decrypted", "isakmp.id.data.user_fqdn", "_ws.expert.message",
              "isakmp.typepayload", "isakmp.ike.nat_keepalive", "isakmp.frag.number",
              "isakmp.reassembled.in", "isakmp.key_exchange.dh_group"]
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for line in keylines:
        cmd += ["-o", "uat:ikev2_decryption_table:" + line]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("tshark failed: %s" % p.stderr.strip().splitlines()[-1:])
    rows = {}
    for line in p.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(fields) - len(vals))
        rows[int(vals[0])] = dict(zip(fields[1:], vals[1:]))
    return rows


def load_keylines(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def cmd_check(args):
    name = args.scenario or os.path.basename(args.pcap).rsplit(".", 1)[0]
    sc = SCENARIOS.get(name, {})
    keys_path = args.keys or args.pcap.rsplit(".", 1)[0] + ".keys"
    keylines = load_keylines(keys_path)
    problems = []
    msgs, other = read_ike(args.pcap)
    # --- python decoder, keys from the .keys table (what a user has) ---
    keysets = []
    for line in keylines:
        cols = next(csv.reader([line]))
        ks = {"Sk_ei": bytes.fromhex(cols[2]), "Sk_er": bytes.fromhex(cols[3])}
        if cols[5]:
            ks["Sk_ai"], ks["Sk_ar"] = bytes.fromhex(cols[5]), bytes.fromhex(cols[6])
        ks["Sk_d"] = cols[0] + cols[1]
        keysets.append(ks)
    sas = decode_capture(msgs, keysets) if HAVE_CRYPTO else {}
    for pair, sa in sas.items():
        if sa["keys"] is not None and (sa["keys"]["Sk_d"] != pair[0].hex() + pair[1].hex()) \
                and not sa.get("unverified"):
            problems.append("key line for %s/%s decrypts SA %s/%s"
                            % (sa["keys"]["Sk_d"][:16], sa["keys"]["Sk_d"][16:],
                               pair[0].hex(), pair[1].hex()))
    encrypted = [m for m in msgs if any(p[0] in (46, 53) for p in m.payloads)]
    py_dec = [m for m in encrypted if getattr(m, "plain", None) is not None]
    for m in msgs:
        if m.error:
            problems.append("python: frame %d: %s" % (m.frame, m.error))
    # --- tshark ---
    ts = None
    ts_keylines = [ln for ln in keylines if "CHACHA20-POLY1305" not in ln]
    try:
        ts = tshark_messages(args.pcap, ts_keylines)
    except (RuntimeError, FileNotFoundError) as e:
        problems.append("tshark: %s" % e)
    ts_dec = ts_bad = 0
    if ts is not None:
        # tshark marks data "decrypted" whatever the key; it is only right when no
        # expert info (ICV incorrect, pad length too big, malformed ...) comes with it
        for m in encrypted:
            row = ts.get(m.frame, {})
            expert = row.get("_ws.expert.message", "")
            if expert:
                ts_bad += 1
                if not sc.get("tshark_cannot_decrypt"):
                    problems.append("tshark: frame %d: %s" % (m.frame, expert))
            elif row.get("isakmp.enc.decrypted"):
                ts_dec += 1
        if not sc.get("tshark_cannot_decrypt") and keylines and ts_dec != len(encrypted):
            problems.append("tshark decrypted %d of %d encrypted messages"
                            % (ts_dec, len(encrypted)))
        # notify types tshark sees (cleartext + decrypted) must equal ours
        for m in msgs:
            row = ts.get(m.frame, {})
            tsn = sorted(int(x) for x in row.get("isakmp.notify.msgtype", "").split(",") if x)
            pls = list(m.payloads) + (m.inner or [])
            pyn = sorted(struct.unpack(">H", p[1][2:4])[0] for p in pls
                         if p[0] == 41 and len(p[1]) >= 4)
            if sc.get("tshark_cannot_decrypt"):
                pyn = sorted(struct.unpack(">H", p[1][2:4])[0] for p in m.payloads
                             if p[0] == 41 and len(p[1]) >= 4)
            if m.frag and not getattr(m, "reassembled", None):
                continue
            if tsn != pyn:
                problems.append("frame %d: notifies tshark %s != python %s"
                                % (m.frame, tsn, pyn))
            # identities inside the Encrypted payload (IDi/IDr, RFC822 type here)
            if m.inner and not sc.get("tshark_cannot_decrypt"):
                ids = [p[1][4:].decode("ascii", "replace") for p in m.inner if p[0] in (35, 36)]
                tsids = row.get("isakmp.id.data.user_fqdn", "").split(",")
                for ident in ids:
                    if ident not in tsids:
                        problems.append("frame %d: tshark does not show identity %s"
                                        % (m.frame, ident))
    # --- expectations ---
    seq = []
    for m in msgs:
        inner = m.inner if m.inner is not None else []
        seq.append((m, m.exch, "resp" if m.is_response else "req",
                    msg_token(m) + msg_token(m, inner)))
    i = 0
    for exch, direction, needs in sc.get("expect", []):
        while i < len(seq):
            m, e, d, names = seq[i]
            i += 1
            if m.frag and not getattr(m, "reassembled", None):
                continue
            if e == exch and d == direction and all(any(n.startswith(x) or x == n for n in names)
                                                    for x in needs):
                break
        else:
            problems.append("expected %s %s %s not found (in order)"
                            % (EXCHANGES.get(exch), direction, needs))
            break
    if "ike" in sc:
        want = sc["ike"]
        init_resp = [m for m in msgs if m.exch == 34 and m.is_response
                     and any(p[0] == 33 for p in m.payloads)]
        if not init_resp:
            problems.append("no IKE_SA_INIT response with SA payload")
        else:
            a = chosen_algs(parse_sa([p for p in init_resp[-1].payloads if p[0] == 33][0][1]))
            got = (ENCR.get(a["encr"][0]), a["encr"][1], a["integ"], a["prf"], a["dh"])
            if got != want:
                problems.append("negotiated %s, expected %s" % (got, want))
    if sc.get("skf") and not any(m.frag for m in msgs):
        problems.append("no SKF (53) payloads")
    if sc.get("port4500") and not any(m.dport == 4500 or m.sport == 4500 for m in msgs):
        problems.append("nothing on port 4500")
    if sc.get("keepalive") and not any(k == "NAT-keepalive" for _, k in other):
        problems.append("no NAT-T keepalive")
    if sc.get("no_keys") and keylines:
        problems.append("unexpected keys")
    if "ike_sas" in sc and len([s for s in sas.values() if s["keys"]]) != sc["ike_sas"]:
        problems.append("%d keyed IKE SAs, expected %d"
                        % (len([s for s in sas.values() if s["keys"]]), sc["ike_sas"]))
    # --- report ---
    nframes = len(list(read_pcap(args.pcap)))
    if not args.quiet:
        print("%s: %d frames, %d IKE messages, %d encrypted (tshark decrypted %s, python %d)%s"
              % (os.path.basename(args.pcap), nframes, len(msgs), len(encrypted),
                 "-" if ts is None else ts_dec, len(py_dec),
                 "; also " + ", ".join(sorted(set(k for _, k in other))) if other else ""))
        for m, e, d, names in seq:
            inner = msg_token(m, m.inner) if m.inner else []
            frag = " SKF %d/%d" % m.frag if m.frag else ""
            print("  #%-3d %5d->%-5d %-15s %-4s mid=%d%s  %s%s" % (
                m.frame, m.sport, m.dport, EXCHANGES.get(e, e), d, m.msgid, frag,
                " ".join(msg_token(m)),
                ("  {" + " ".join(inner) + "}") if inner else ""))
        for p in problems:
            print("  PROBLEM: " + p)
    print("%-28s %-4s frames=%-3d msgs=%-3d enc=%-3d tshark=%-3s python=%-3d %s" % (
        os.path.basename(args.pcap), "ok" if not problems else "FAIL", nframes, len(msgs),
        len(encrypted), "-" if ts is None else ts_dec, len(py_dec),
        notify_summary(msgs)))
    return 1 if problems else 0


def notify_summary(msgs):
    out = []
    for m in msgs:
        for p in list(m.payloads) + (m.inner or []):
            if p[0] == 41 and len(p[1]) >= 4:
                t = struct.unpack(">H", p[1][2:4])[0]
                if t < 16384 or t in (16390, 16393):
                    out.append("%s@%s" % (NOTIFIES.get(t, t), EXCHANGES.get(m.exch, m.exch)))
    return " ".join(dict.fromkeys(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keys")
    k.add_argument("--log", action="append", required=True)
    k.add_argument("--pcap", required=True)
    k.add_argument("--out", required=True)
    lg = sub.add_parser("log")
    lg.add_argument("--role", nargs=2, action="append", required=True, metavar=("NAME", "DIR"))
    lg.add_argument("--out", required=True)
    lg.add_argument("--version")
    c = sub.add_parser("check")
    c.add_argument("--pcap", required=True)
    c.add_argument("--keys")
    c.add_argument("--scenario")
    c.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    return {"keys": cmd_keys, "log": cmd_log, "check": cmd_check}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
