//! A whole IKEv2 message (RFC 7296 §3): the IKE header and its payload chain, parsed and
//! emitted byte for byte.

use crate::error::{Error, Result};
use crate::wire::header::Header;
use crate::wire::payload::{self, OpaqueData, Payload};
use crate::wire::reader::{Reader, Writer};

/// One IKEv2 message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    /// The IKE header.
    pub header: Header,
    /// The payloads, in order. An SK or SKF payload, when present, is the last one.
    pub payloads: Vec<Payload>,
}

impl Message {
    /// Parses one message: `bytes` starts at the IKE header (after any non-ESP marker or TCP
    /// framing) and holds exactly the message: the header Length must equal `bytes.len()`.
    // Not inlined: keeps the entry point one symbol for profilers (the cost is one call).
    #[inline(never)]
    pub fn parse(bytes: &[u8]) -> Result<Message> {
        Message::parse_reusing(bytes, Vec::new(), OpaqueData::Copied)
    }

    /// [`Message::parse`] into `payloads` (cleared first: the allocation of an earlier
    /// message's payloads, reused), with the payloads' opaque octet strings copied or left in
    /// `bytes` ([`OpaqueData`]). Succeeds and fails exactly where [`Message::parse`] does.
    #[inline(never)]
    pub fn parse_reusing(
        bytes: &[u8],
        payloads: Vec<Payload>,
        opaque: OpaqueData,
    ) -> Result<Message> {
        let mut r = Reader::new(bytes, 0);
        let header = Header::parse(&mut r).map_err(|e| e.within("IKE header"))?;
        header
            .check_version(0)
            .map_err(|e| e.within("IKE header"))?;
        let len = usize::try_from(header.length).unwrap_or(usize::MAX);
        if len < Header::LEN {
            return Err(Error::invalid(
                "Length",
                24,
                format!("{len} is less than the 28-byte IKE header"),
            )
            .within("IKE header"));
        }
        if len != bytes.len() {
            let reason = if len > bytes.len() {
                format!(
                    "{len}, but only {} byte(s) were given (truncated message)",
                    bytes.len()
                )
            } else {
                format!(
                    "{len}, but {} byte(s) were given ({} trailing)",
                    bytes.len(),
                    bytes.len() - len
                )
            };
            return Err(Error::invalid("Length", 24, reason).within("IKE header"));
        }
        let payloads = payload::parse_chain_reusing(&mut r, header.next_payload, payloads, opaque)?;
        Ok(Message { header, payloads })
    }

    /// The payloads of a message [`Message::parse`] rejects that were read before the error
    /// (none when the header itself is in error): a front end shows them before the error.
    #[cold]
    pub fn payloads_before_error(bytes: &[u8]) -> Vec<Payload> {
        let mut r = Reader::new(bytes, 0);
        let Ok(header) = Header::parse(&mut r) else {
            return Vec::new();
        };
        // Only the octets the header's Length covers (all of them when it claims more).
        let len = usize::try_from(header.length)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let Some(within) = bytes.get(..len) else {
            return Vec::new();
        };
        let mut r = Reader::new(within, 0);
        if Header::parse(&mut r).is_err() {
            return Vec::new();
        }
        payload::payloads_before_error(&mut r, header.next_payload)
    }

    /// Emits the message. Next Payload fields and every length are computed from the tree
    /// (for a parsed message they equal the received ones); everything else is as stored.
    /// SK/SKF must be the last payload: anything placed after one is written, but the result
    /// won't parse (its Next Payload names the first inner payload, not the next outer one).
    pub fn emit(&self) -> Vec<u8> {
        let mut h = self.header.clone();
        h.next_payload = self
            .payloads
            .first()
            .map_or(payload::payload_type::NONE, |p| p.payload_type);
        // Sized for a received message (its Length), bounded by what IKEv2 allows over UDP/TCP.
        let mut w = Writer::with_capacity(usize::try_from(h.length).unwrap_or(0).min(1 << 16));
        h.emit(&mut w);
        payload::emit_chain(&self.payloads, &mut w);
        let len = u32::try_from(w.buf.len()).unwrap_or(u32::MAX);
        if let Some(slot) = w.buf.get_mut(24..28) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
        w.buf
    }

    /// The payloads of type `t`, in order.
    pub fn payloads_of(
        &self,
        t: crate::wire::registry::PayloadType,
    ) -> impl Iterator<Item = &Payload> {
        self.payloads.iter().filter(move |p| p.payload_type == t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::payload::{Nonce, PayloadBody};
    use crate::wire::registry::{ExchangeType, PayloadType};

    fn informational() -> Vec<u8> {
        vec![
            1, 2, 3, 4, 5, 6, 7, 8, // SPIi
            9, 10, 11, 12, 13, 14, 15, 16,   // SPIr
            40,   // Next Payload: Nonce (unusual here, but structurally fine)
            0x20, // version 2.0
            37,   // INFORMATIONAL
            0x20, // Flags: R
            0, 0, 0, 5, // Message ID 5
            0, 0, 0, 36, // Length 36
            0, 0, 0, 8, // Nonce: Next Payload 0, not critical, Payload Length 8
            0xaa, 0xbb, 0xcc, 0xdd, // Nonce Data
        ]
    }

    #[test]
    fn parse_emit_small_message() {
        let b = informational();
        let m = Message::parse(&b).unwrap();
        assert_eq!(m.header.exchange, ExchangeType::INFORMATIONAL);
        assert!(m.header.response());
        assert_eq!(m.payloads.len(), 1);
        assert_eq!(m.payloads[0].offset, 28);
        assert_eq!(
            m.payloads[0].body,
            PayloadBody::Nonce(Nonce {
                data: vec![0xaa, 0xbb, 0xcc, 0xdd]
            })
        );
        assert_eq!(m.emit(), b);
    }

    #[test]
    fn length_must_match() {
        let mut b = informational();
        b.push(0);
        let e = Message::parse(&b).unwrap_err();
        assert_eq!((e.field, e.offset), ("Length", 24));
        let e = Message::parse(&b[..30]).unwrap_err();
        assert_eq!((e.field, e.offset), ("Length", 24));
        let mut b = informational();
        b[17] = 0x10;
        let e = Message::parse(&b).unwrap_err();
        assert_eq!((e.field, e.offset), ("MjVer", 17));
    }

    #[test]
    fn built_message_gets_lengths_and_next_payloads() {
        let b = informational();
        let mut m = Message::parse(&b).unwrap();
        m.payloads.push(Payload::new(
            PayloadType(43),
            PayloadBody::Unknown { data: vec![1, 2] },
        ));
        let out = m.emit();
        assert_eq!(out.len(), 42);
        assert_eq!(&out[24..28], &[0, 0, 0, 42]);
        assert_eq!(out[28], 43); // Nonce now names the Vendor ID after it
        let again = Message::parse(&out).unwrap();
        assert_eq!(again.payloads.len(), 2);
    }
}
