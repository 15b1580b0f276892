//! The IKE header (RFC 7296 §3.1).
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Initiator's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Responder's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Message ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Length                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Flags: `|X|X|R|V|I|X|X|X|` (bit 0 is the most significant): R = Response (0x20), V = Version
//! (0x10), I = Initiator (0x08); the X bits are kept as received.

use crate::error::{Error, Result};
use crate::wire::reader::{Reader, Writer};
use crate::wire::registry::{ExchangeType, PayloadType};

/// The fixed IKE header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// IKE SA Initiator's SPI (serialised as 16 hex digits).
    #[serde(serialize_with = "spi_hex")]
    pub spi_i: u64,
    /// IKE SA Responder's SPI (zero in the first message of IKE_SA_INIT).
    #[serde(serialize_with = "spi_hex")]
    pub spi_r: u64,
    /// Type of the first payload (0 when there is none).
    pub next_payload: PayloadType,
    /// Major Version (high nibble); 2 for IKEv2.
    pub major_version: u8,
    /// Minor Version (low nibble); 0 for RFC 7296.
    pub minor_version: u8,
    /// Exchange Type.
    pub exchange: ExchangeType,
    /// Flags, raw; see [`Header::initiator`], [`Header::response`], [`Header::version`].
    pub flags: u8,
    /// Message ID.
    pub message_id: u32,
    /// Length of the whole message, header included, as received (recomputed on emit).
    pub length: u32,
}

/// Serialises an SPI as 16 lowercase hex digits.
pub(crate) fn spi_hex<S: serde::Serializer>(v: &u64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:016x}"))
}

impl Header {
    /// Length of the IKE header in bytes.
    pub const LEN: usize = 28;
    /// R (Response) flag.
    pub const FLAG_RESPONSE: u8 = 0x20;
    /// V (Version) flag: the sender can speak a higher major version.
    pub const FLAG_VERSION: u8 = 0x10;
    /// I (Initiator) flag: sent by the original initiator of the IKE SA.
    pub const FLAG_INITIATOR: u8 = 0x08;

    /// The I (Initiator) flag.
    pub fn initiator(&self) -> bool {
        self.flags & Self::FLAG_INITIATOR != 0
    }

    /// The R (Response) flag.
    pub fn response(&self) -> bool {
        self.flags & Self::FLAG_RESPONSE != 0
    }

    /// The V (Version) flag.
    pub fn version(&self) -> bool {
        self.flags & Self::FLAG_VERSION != 0
    }

    /// Reads the 28-byte header. Does not check the version or the length against anything.
    pub fn parse(r: &mut Reader<'_>) -> Result<Header> {
        if r.remaining() >= Self::LEN {
            let b = r.array::<{ Self::LEN }>("IKE header")?;
            let [i0, i1, i2, i3, i4, i5, i6, i7, s0, s1, s2, s3, s4, s5, s6, s7, np, ver, ex, flags, m0, m1, m2, m3, l0, l1, l2, l3] =
                b;
            return Ok(Header {
                spi_i: u64::from_be_bytes([i0, i1, i2, i3, i4, i5, i6, i7]),
                spi_r: u64::from_be_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
                next_payload: PayloadType(np),
                major_version: ver >> 4,
                minor_version: ver & 0x0f,
                exchange: ExchangeType(ex),
                flags,
                message_id: u32::from_be_bytes([m0, m1, m2, m3]),
                length: u32::from_be_bytes([l0, l1, l2, l3]),
            });
        }
        // Short: read field by field, so that the error names the field cut short.
        let spi_i = r.u64("IKE SA Initiator's SPI")?;
        let spi_r = r.u64("IKE SA Responder's SPI")?;
        let next_payload = PayloadType(r.u8("Next Payload")?);
        let ver = r.u8("Version")?;
        let exchange = ExchangeType(r.u8("Exchange Type")?);
        let flags = r.u8("Flags")?;
        let message_id = r.u32("Message ID")?;
        let length = r.u32("Length")?;
        Ok(Header {
            spi_i,
            spi_r,
            next_payload,
            major_version: ver >> 4,
            minor_version: ver & 0x0f,
            exchange,
            flags,
            message_id,
            length,
        })
    }

    /// Writes the header as it is (Next Payload and Length as stored).
    pub fn emit(&self, w: &mut Writer) {
        w.u64(self.spi_i);
        w.u64(self.spi_r);
        w.u8(self.next_payload.0);
        w.u8((self.major_version << 4) | (self.minor_version & 0x0f));
        w.u8(self.exchange.0);
        w.u8(self.flags);
        w.u32(self.message_id);
        w.u32(self.length);
    }

    /// Checks that this is an IKEv2 header: Major Version 2.
    pub fn check_version(&self, offset: usize) -> Result<()> {
        if self.major_version != 2 {
            return Err(Error::invalid(
                "MjVer",
                offset + 17,
                format!(
                    "major version {} (expected 2 for IKEv2{})",
                    self.major_version,
                    if self.major_version == 1 {
                        "; this is IKEv1/ISAKMP"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_flags() {
        let bytes: [u8; 28] = [
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, // SPIi
            0, 0, 0, 0, 0, 0, 0, 0,    // SPIr (0 in IKE_SA_INIT request)
            33,   // Next Payload = SA
            0x20, // MjVer 2, MnVer 0
            34,   // Exchange Type = IKE_SA_INIT
            0x08, // Flags: I
            0, 0, 0, 0, // Message ID 0
            0, 0, 0x01, 0x00, // Length 256
        ];
        let h = Header::parse(&mut Reader::new(&bytes, 0)).unwrap();
        assert_eq!(h.spi_i, 0x1122334455667788);
        assert_eq!(h.next_payload, PayloadType(33));
        assert_eq!((h.major_version, h.minor_version), (2, 0));
        assert_eq!(h.exchange, ExchangeType::IKE_SA_INIT);
        assert!(h.initiator() && !h.response() && !h.version());
        assert_eq!(h.length, 256);
        let mut w = Writer::new();
        h.emit(&mut w);
        assert_eq!(w.buf, bytes);
        let err = Header::parse(&mut Reader::new(&bytes[..27], 0)).unwrap_err();
        assert_eq!((err.field, err.offset), ("Length", 24));
    }
}
