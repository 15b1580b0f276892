//! The operating system's random source (`getrandom`): private keys, nonces (RFC 7296 §2.10:
//! "MUST be randomly chosen") and SPIs (§3.1: never zero).

/// The operating system's random source failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("random number generator failed: {0}")]
pub struct RandomError(getrandom::Error);

/// Fills `buf` from the operating system's random source.
pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(RandomError)
}

/// A random IKE SA SPI: never zero, which means "no SA" (RFC 7296 §3.1).
pub fn spi() -> Result<u64, RandomError> {
    let mut b = [0u8; 8];
    loop {
        fill(&mut b)?;
        let spi = u64::from_be_bytes(b);
        if spi != 0 {
            return Ok(spi);
        }
    }
}
