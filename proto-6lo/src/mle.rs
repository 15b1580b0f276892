//! Mesh Link Establishment (MLE, draft-ietf-6lo-mesh-link-establishment; Thread 1.1 §4.x):
//! the message carried in UDP port 19788, its own security (an IEEE 802.15.4 auxiliary security
//! header inside the UDP payload, keyed with the Thread MLE key), the command and its TLVs.
//!
//! ```text
//! MLE message (draft-ietf-6lo-mesh-link-establishment §4; Thread 1.1 §4.3)
//!
//!  +------------------+------------------------+-----------------------------+-------+
//!  | Security Suite   | Aux. Security Header   | Command Type | TLVs ...     |  MIC  |
//!  | (1 octet)        | (5-14 octets)          | (1 octet)    |              | (4)   |
//!  +------------------+------------------------+-----------------------------+-------+
//!      0 = secured: the auxiliary header follows; command and TLVs are encrypted
//!    255 = unsecured: no auxiliary header, no MIC; command and TLVs in clear
//!
//! Auxiliary security header (IEEE 802.15.4-2006 §7.6.2; Thread: security level 5,
//! key identifier mode 2, the 4-octet key source holding the key sequence, big-endian):
//!  +------------------+---------------------------+--------------------------------+
//!  | Security Control | Frame Counter (LE)        | Key Source (4) | Key Index (1) |
//!  +------------------+---------------------------+--------------------------------+
//!
//! TLV:   | Type (1) | Length (1) | Value (Length octets) |
//! ```
//!
//! Decryption (Thread 1.1 §7.1.4 and §4.3): AES-CCM* with the MLE key of the key sequence
//! (the first half of HMAC-SHA256(network key, sequence ‖ "Thread"), see
//! [`crate::security::thread_keys`]), the 13-octet nonce = sender's extended address ‖ frame
//! counter (big-endian) ‖ security level, where the extended address is the interface
//! identifier of the IPv6 source (a link-local address) with the U/L bit flipped back; the
//! authenticated data = IPv6 source ‖ IPv6 destination ‖ the auxiliary security header
//! (security control to key identifier); the private payload = command and TLVs; 4-octet MIC.
//!
//! The CCM* itself is [`crate::security::ccm_star_open`] (RustCrypto's `ccm`).

use std::net::Ipv6Addr;

use ietfwg_report::hex::Hex;

use crate::error::{Error, Layer, Result};
use crate::mac::SecurityLevel;
use crate::reader::Reader;
use crate::security::{self, KeyOrigin, KeyTable, Status};

/// The UDP port MLE uses (IANA "mle").
pub const PORT: u16 = 19788;

/// At most this many TLVs are listed per message (the rest is one error).
pub const MAX_TLVS: usize = 64;

/// Security Suite 0: the message is secured (auxiliary header and MIC).
pub const SUITE_SECURED: u8 = 0;
/// Security Suite 255: no security.
pub const SUITE_NONE: u8 = 255;

/// The name of an MLE command type (draft-ietf-6lo-mesh-link-establishment §5 and Thread 1.1
/// §4.4's registry).
pub fn command_name(c: u8) -> &'static str {
    match c {
        0 => "Link Request",
        1 => "Link Accept",
        2 => "Link Accept and Request",
        3 => "Link Reject",
        4 => "Advertisement",
        5 => "Update",
        6 => "Update Request",
        7 => "Data Request",
        8 => "Data Response",
        9 => "Parent Request",
        10 => "Parent Response",
        11 => "Child ID Request",
        12 => "Child ID Response",
        13 => "Child Update Request",
        14 => "Child Update Response",
        15 => "Announce",
        16 => "Discovery Request",
        17 => "Discovery Response",
        _ => "unknown",
    }
}

/// The name of an MLE TLV type (draft-ietf-6lo-mesh-link-establishment §6 and Thread 1.1
/// §4.5's registry).
pub fn tlv_name(t: u8) -> &'static str {
    match t {
        0 => "Source Address",
        1 => "Mode",
        2 => "Timeout",
        3 => "Challenge",
        4 => "Response",
        5 => "Link-layer Frame Counter",
        6 => "Link Quality",
        7 => "Network Parameter",
        8 => "MLE Frame Counter",
        9 => "Route64",
        10 => "Address16",
        11 => "Leader Data",
        12 => "Network Data",
        13 => "TLV Request",
        14 => "Scan Mask",
        15 => "Connectivity",
        16 => "Link Margin",
        17 => "Status",
        18 => "Version",
        19 => "Address Registration",
        20 => "Channel",
        21 => "PAN ID",
        22 => "Active Timestamp",
        23 => "Pending Timestamp",
        24 => "Active Operational Dataset",
        25 => "Pending Operational Dataset",
        26 => "Thread Discovery",
        _ => "unknown",
    }
}

/// MLE's auxiliary security header, and what became of the secured message.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MleSecurity {
    pub security_level: u8,
    pub key_id_mode: u8,
    pub frame_counter: u32,
    /// The key source (key identifier modes 2 and 3), as on the wire.
    #[serde_as(as = "Option<Hex>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_source: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_index: Option<u8>,
    /// The Thread key sequence: the 4-octet key source, or for key identifier mode 1 the
    /// configured sequence's upper bits with the Key Index's lower 7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_sequence: Option<u32>,
    #[serde_as(as = "Hex")]
    pub mic: Vec<u8>,
    pub status: Status,
    /// The network key whose MLE key verified the MIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyOrigin>,
    pub keys_tried: usize,
    /// The extended address the nonce was built from (the IPv6 source's IID, U/L flipped).
    #[serde_as(as = "Option<Hex>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_source: Option<[u8; 8]>,
    /// Why the message was not decrypted ([`Status::Unsupported`], [`Status::NoKey`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One TLV.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tlv {
    #[serde(rename = "type")]
    pub type_: u8,
    pub name: &'static str,
    pub length: u8,
    #[serde_as(as = "Hex")]
    pub value: Vec<u8>,
}

/// A decoded MLE message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MleMessage {
    /// 0 (secured) or 255 (unsecured); any other value is an error.
    pub security_suite: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<MleSecurity>,
    /// The command type, when it is in clear (unsecured, or decrypted and verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tlvs: Vec<Tlv>,
    /// Why the message stops early (offsets count from the first octet of the datagram). Not
    /// serialised here: a front end lists it among its warnings.
    #[serde(skip)]
    pub error: Option<Error>,
}

/// The extended address whose EUI-64 interface identifier (RFC 4291 Appendix A, U/L bit
/// inverted) is `addr`'s last 64 bits.
pub fn ext_from_iid(addr: &Ipv6Addr) -> [u8; 8] {
    let o = addr.octets();
    let mut e = [0u8; 8];
    e.copy_from_slice(&o[8..]);
    e[0] ^= 0x02;
    e
}

/// Decodes (and with a Thread key, decrypts and verifies) the MLE message `payload`, the UDP
/// payload of a datagram from `src` to `dst`; `base` is the payload's offset in the datagram
/// (for error offsets). Never panics; an error leaves what was read before it.
pub fn decode(
    payload: &[u8],
    base: usize,
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    keys: &mut KeyTable,
) -> MleMessage {
    let mut msg = MleMessage {
        security_suite: 0,
        security: None,
        command: None,
        command_name: None,
        tlvs: Vec::new(),
        error: None,
    };
    if let Err(e) = decode_into(&mut msg, payload, base, src, dst, keys) {
        msg.error = Some(e);
    }
    msg
}

fn decode_into(
    msg: &mut MleMessage,
    payload: &[u8],
    base: usize,
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    keys: &mut KeyTable,
) -> Result<()> {
    let mut r = Reader::new(payload, base, Layer::Mle);
    let suite_at = r.offset();
    msg.security_suite = r.u8("Security Suite")?;
    match msg.security_suite {
        SUITE_NONE => return body(msg, r.rest(), r.offset()),
        SUITE_SECURED => {}
        s => {
            return Err(Error::invalid(
                Layer::Mle,
                "Security Suite",
                suite_at,
                format!(
                    "{s} is neither 0 (secured) nor 255 (unsecured) \
                     (draft-ietf-6lo-mesh-link-establishment §4)"
                ),
            ))
        }
    }
    let aux_start = r.consumed();
    let control = r.u8("Security Control")?;
    let level = control & 0x07;
    let kim = (control >> 3) & 0x03;
    let frame_counter = r.u32_le("Frame Counter")?;
    let key_source = match kim {
        2 => Some(r.take(4, "Key Source")?.to_vec()),
        3 => Some(r.take(8, "Key Source")?.to_vec()),
        _ => None,
    };
    let key_index = if kim == 0 {
        None
    } else {
        Some(r.u8("Key Index")?)
    };
    let aux_end = r.consumed();
    let mic_len = SecurityLevel(level).mic_len();
    let rest = r.rest();
    let Some(private_len) = rest.len().checked_sub(mic_len) else {
        return Err(r.truncated("MIC", mic_len));
    };
    let private_at = r.offset();
    let (private, mic) = rest.split_at(private_len);
    let mut sec = MleSecurity {
        security_level: level,
        key_id_mode: kim,
        frame_counter,
        key_source: key_source.clone(),
        key_index,
        key_sequence: None,
        mic: mic.to_vec(),
        status: Status::NoKey,
        key: None,
        keys_tried: 0,
        nonce_source: None,
        reason: None,
    };
    if level == 0 || level == 4 {
        sec.status = Status::Unsupported;
        sec.reason = Some(format!(
            "security level {level}: Thread secures MLE with a MIC (level 5); not decrypted"
        ));
        msg.security = Some(sec);
        return Ok(());
    }
    let candidates = keys.mle_candidates(kim, key_index, key_source.as_deref());
    sec.key_sequence = match (kim, key_source.as_deref()) {
        (2, Some(&[a, b, c, d])) => Some(u32::from_be_bytes([a, b, c, d])),
        _ => candidates.first().map(|(_, s, _)| *s),
    };
    if candidates.is_empty() {
        sec.reason = Some(if keys.is_empty() {
            "no Thread key given".into()
        } else {
            "no Thread network key given for MLE's key identifier".into()
        });
        msg.security = Some(sec);
        return Ok(());
    }
    let source = ext_from_iid(src);
    sec.nonce_source = Some(source);
    let nonce = security::nonce(source, frame_counter, SecurityLevel(level));
    let mut a = Vec::with_capacity(32 + aux_end - aux_start);
    a.extend_from_slice(&src.octets());
    a.extend_from_slice(&dst.octets());
    a.extend_from_slice(payload.get(aux_start..aux_end).unwrap_or_default());
    let encrypted = SecurityLevel(level).encrypts();
    let mut buf = Vec::with_capacity(private.len());
    for (key, sequence, origin) in candidates {
        sec.keys_tried += 1;
        buf.clear();
        buf.extend_from_slice(private);
        let ok = if encrypted {
            security::ccm_star_open(&key, &nonce, SecurityLevel(level), &a, &mut buf, mic)
        } else {
            // MIC only: the command and TLVs are authenticated data.
            let mut aa = a.clone();
            aa.extend_from_slice(private);
            security::ccm_star_open(&key, &nonce, SecurityLevel(level), &aa, &mut [], mic)
        };
        if ok {
            sec.status = Status::Verified;
            sec.key = Some(origin);
            sec.key_sequence = Some(sequence);
            msg.security = Some(sec);
            let plain = std::mem::take(&mut buf);
            return body(msg, &plain, private_at);
        }
    }
    sec.status = Status::MicFailed;
    msg.security = Some(sec);
    Err(Error::invalid(
        Layer::Mle,
        "MIC",
        private_at + private_len,
        format!(
            "the MIC verifies with none of the {} MLE key(s) tried (Thread 1.1 §4.3): \
             command and TLVs not decoded",
            msg.security.as_ref().map_or(0, |s| s.keys_tried)
        ),
    ))
}

/// The command and TLVs (in clear), `base` the offset of their first octet.
fn body(msg: &mut MleMessage, b: &[u8], base: usize) -> Result<()> {
    let mut r = Reader::new(b, base, Layer::Mle);
    let c = r.u8("Command Type")?;
    msg.command = Some(c);
    msg.command_name = Some(command_name(c));
    while r.remaining() > 0 {
        if msg.tlvs.len() >= MAX_TLVS {
            return Err(Error::invalid(
                Layer::Mle,
                "TLV",
                r.offset(),
                format!("more than {MAX_TLVS} TLVs"),
            ));
        }
        let t = r.u8("TLV Type")?;
        let len = r.u8("TLV Length")?;
        let value = r.take(usize::from(len), "TLV Value")?;
        msg.tlvs.push(Tlv {
            type_: t,
            name: tlv_name(t),
            length: len,
            value: value.to_vec(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const NETWORK_KEY: [u8; 16] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];

    /// Builds a secured MLE message the way Thread 1.1 §4.3 describes, with our CCM* seal.
    fn seal(src: &Ipv6Addr, dst: &Ipv6Addr, seq: u32, counter: u32, body: &[u8]) -> Vec<u8> {
        let (mle_key, _) = security::thread_keys(&NETWORK_KEY, seq);
        let mut aux = vec![0x15];
        aux.extend_from_slice(&counter.to_le_bytes());
        aux.extend_from_slice(&seq.to_be_bytes());
        aux.push(security::thread_key_index(seq));
        let mut a = src.octets().to_vec();
        a.extend_from_slice(&dst.octets());
        a.extend_from_slice(&aux);
        let n = security::nonce(ext_from_iid(src), counter, SecurityLevel(5));
        let mut m = body.to_vec();
        let mic = security::ccm_star_seal(&mle_key, &n, SecurityLevel(5), &a, &mut m);
        let mut out = vec![0];
        out.extend_from_slice(&aux);
        out.extend_from_slice(&m);
        out.extend_from_slice(&mic);
        out
    }

    fn keys() -> KeyTable {
        let mut k = KeyTable::new();
        k.add_thread(NETWORK_KEY).unwrap();
        k
    }

    #[test]
    fn secured_round_trip_and_every_bit_matters() {
        let src: Ipv6Addr = "fe80::212:4b00:1:203".parse().unwrap();
        let dst: Ipv6Addr = "ff02::2".parse().unwrap();
        // Parent Request: Mode (0x0f), Challenge (8 octets), Scan Mask (0x80), Version (2).
        let body = [
            9, // command: Parent Request
            1, 1, 0x0f, // Mode
            3, 8, 1, 2, 3, 4, 5, 6, 7, 8, // Challenge
            14, 1, 0x80, // Scan Mask
            18, 2, 0, 2, // Version
        ];
        let wire = seal(&src, &dst, 1, 77, &body);
        let m = decode(&wire, 48, &src, &dst, &mut keys());
        assert_eq!(m.error, None);
        let s = m.security.as_ref().unwrap();
        assert_eq!(s.status, Status::Verified);
        assert_eq!(s.key_sequence, Some(1));
        assert_eq!(s.frame_counter, 77);
        assert_eq!(s.nonce_source, Some([0x00, 0x12, 0x4b, 0, 0, 1, 2, 3]));
        assert_eq!(m.command_name, Some("Parent Request"));
        let names: Vec<_> = m.tlvs.iter().map(|t| t.name).collect();
        assert_eq!(names, ["Mode", "Challenge", "Scan Mask", "Version"]);
        assert_eq!(m.tlvs[1].value, [1, 2, 3, 4, 5, 6, 7, 8]);
        for i in 0..wire.len() * 8 {
            let mut w = wire.clone();
            w[i / 8] ^= 1 << (i % 8);
            let m = decode(&w, 0, &src, &dst, &mut keys());
            assert!(m.command.is_none(), "bit {i} changed, still decoded");
        }
        // The addresses are authenticated too.
        let other: Ipv6Addr = "ff02::1".parse().unwrap();
        assert!(decode(&wire, 0, &src, &other, &mut keys())
            .command
            .is_none());
        // Without a key: the header, no command.
        let m = decode(&wire, 0, &src, &dst, &mut KeyTable::new());
        assert_eq!(m.security.unwrap().status, Status::NoKey);
        assert!(m.command.is_none());
    }

    #[test]
    fn unsecured_and_errors() {
        let a: Ipv6Addr = "fe80::1".parse().unwrap();
        // Discovery Request, unsecured, a Thread Discovery TLV (type 26) of 2 octets.
        let m = decode(
            &[255, 16, 26, 2, 0x80, 0x00],
            0,
            &a,
            &a,
            &mut KeyTable::new(),
        );
        assert_eq!(m.error, None);
        assert_eq!(m.command_name, Some("Discovery Request"));
        assert_eq!(m.tlvs[0].name, "Thread Discovery");
        // Every prefix fails cleanly at the field it cuts.
        let m = decode(&[255, 16, 26, 2, 0x80], 10, &a, &a, &mut KeyTable::new());
        let e = m.error.unwrap();
        assert_eq!((e.field(), e.offset()), ("TLV Value", 14));
        let e = decode(&[7], 0, &a, &a, &mut KeyTable::new()).error.unwrap();
        assert_eq!(e.field(), "Security Suite");
        let e = decode(&[0, 0x15, 1, 0], 0, &a, &a, &mut keys())
            .error
            .unwrap();
        assert_eq!(e.field(), "Frame Counter");
        for n in 0..30 {
            let _ = decode(&vec![0u8; n], 0, &a, &a, &mut keys());
        }
    }
}
