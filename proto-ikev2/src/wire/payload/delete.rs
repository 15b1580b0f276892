//! Delete payload (RFC 7296 §3.11).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Protocol ID   |   SPI Size    |          Num of SPIs          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~               Security Parameter Index(es) (SPI)              ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Deleting the IKE SA: Protocol ID 1, SPI Size 0, no SPI (the header's SPIs name it);
//! AH/ESP: SPI Size 4.

use super::{Error, Reader, Result, Writer};
use crate::wire::registry::ProtocolId;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Delete payload body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delete {
    /// Protocol ID.
    pub protocol_id: ProtocolId,
    /// SPI Size (kept: it can't be derived when there is no SPI).
    pub spi_size: u8,
    /// The SPIs (their count is Num of SPIs), each `spi_size` bytes.
    pub spis: Vec<Spi>,
}

/// One SPI, as hex.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Spi(#[serde_as(as = "Hex")] pub Vec<u8>);

impl Delete {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Delete> {
        let protocol_id = ProtocolId(r.u8("Protocol ID")?);
        let size_at = r.offset();
        let spi_size = r.u8("SPI Size")?;
        let num_at = r.offset();
        let num = r.u16("Num of SPIs")?;
        let ok = match protocol_id.0 {
            1 => spi_size == 0,
            2 | 3 => spi_size == 4,
            _ => true,
        };
        if !ok {
            return Err(Error::invalid(
                "SPI Size",
                size_at,
                format!("{spi_size} for protocol {protocol_id} (IKE: 0; AH, ESP: 4)"),
            ));
        }
        let need = usize::from(spi_size) * usize::from(num);
        if need != r.remaining() || (spi_size == 0 && num != 0) {
            return Err(Error::invalid(
                "Num of SPIs",
                num_at,
                format!(
                    "{num} SPI(s) of {spi_size} byte(s) need {need} byte(s), the payload has {}",
                    r.remaining()
                ),
            ));
        }
        let mut spis = Vec::with_capacity(usize::from(num));
        if spi_size > 0 {
            for _ in 0..num {
                spis.push(Spi(r.take(usize::from(spi_size), "SPI")?.to_vec()));
            }
        }
        Ok(Delete {
            protocol_id,
            spi_size,
            spis,
        })
    }

    /// Writes the body (Num of SPIs from the list).
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.protocol_id.0);
        w.u8(self.spi_size);
        w.u16(u16::try_from(self.spis.len()).unwrap_or(u16::MAX));
        for s in &self.spis {
            w.bytes(&s.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_esp_two_spis() {
        let body = [
            3, // Protocol ID ESP
            4, // SPI Size 4
            0, 2, // Num of SPIs 2
            0xc1, 0xc2, 0xc3, 0xc4, // SPI 1
            0xd1, 0xd2, 0xd3, 0xd4, // SPI 2
        ];
        let d = Delete::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(d.protocol_id, ProtocolId::ESP);
        assert_eq!(
            d.spis,
            vec![
                Spi(vec![0xc1, 0xc2, 0xc3, 0xc4]),
                Spi(vec![0xd1, 0xd2, 0xd3, 0xd4])
            ]
        );
        let mut w = Writer::new();
        d.emit(&mut w);
        assert_eq!(w.buf, body);
        // Num of SPIs 3: inconsistent with the payload length.
        let mut b = body;
        b[3] = 3;
        let e = Delete::parse(&mut Reader::new(&b, 10)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Num of SPIs", 12));
        // IKE with SPI size 8.
        let e = Delete::parse(&mut Reader::new(&[1, 8, 0, 0], 0)).unwrap_err();
        assert_eq!(e.field, "SPI Size");
        // IKE SA delete: no SPI.
        let d = Delete::parse(&mut Reader::new(&[1, 0, 0, 0], 0)).unwrap();
        assert!(d.spis.is_empty());
    }
}
