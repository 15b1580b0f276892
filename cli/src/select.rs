//! Which frames and IKE SAs a command looks at: `--frames RANGE`, `-c/--count N` and `--sa
//! SPI`, parsed once and asked per frame.

use std::fmt;
use std::str::FromStr;

/// `--frames RANGE`: capture frame numbers (1-based, as tshark and Wireshark number them):
/// `5`, `10-20`, `100-` (to the end) or `-20` (from the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    pub first: u64,
    /// Last frame included; `None`: to the end of the capture.
    pub last: Option<u64>,
}

impl FromStr for FrameRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let num = |t: &str| -> Result<u64, String> {
            let n: u64 = t
                .trim()
                .parse()
                .map_err(|_| format!("`{t}` is not a frame number"))?;
            if n == 0 {
                return Err("frames are numbered from 1".to_string());
            }
            Ok(n)
        };
        let r = match s.split_once('-') {
            None => {
                let n = num(s)?;
                FrameRange {
                    first: n,
                    last: Some(n),
                }
            }
            Some((a, b)) => FrameRange {
                first: if a.trim().is_empty() { 1 } else { num(a)? },
                last: if b.trim().is_empty() {
                    None
                } else {
                    Some(num(b)?)
                },
            },
        };
        if r.last.is_some_and(|l| l < r.first) {
            return Err(format!("`{s}`: the range ends before it starts"));
        }
        Ok(r)
    }
}

impl fmt::Display for FrameRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last {
            Some(l) if l == self.first => write!(f, "{l}"),
            Some(l) => write!(f, "{}-{l}", self.first),
            None => write!(f, "{}-", self.first),
        }
    }
}

impl FrameRange {
    /// Frame `n` is in the range.
    pub fn contains(&self, n: u64) -> bool {
        n >= self.first && self.last.is_none_or(|l| n <= l)
    }

    /// Frame `n` is after the range: nothing later can be in it.
    pub fn past(&self, n: u64) -> bool {
        self.last.is_some_and(|l| n > l)
    }
}

/// `--frames` and `-c/--count` together.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    pub frames: Option<FrameRange>,
    pub count: Option<u64>,
}

impl Selection {
    /// Whether frame `n` is shown.
    pub fn wants(&self, n: u64) -> bool {
        self.frames.is_none_or(|r| r.contains(n))
    }

    /// Whether reading can stop before frame `n`: it is past the range, or `shown` frames
    /// already reached `--count`.
    pub fn done(&self, n: u64, shown: u64) -> bool {
        self.frames.is_some_and(|r| r.past(n)) || self.count.is_some_and(|c| shown >= c)
    }
}

/// `--sa SPI`: an IKE SA by either of its SPIs, as 16 hex digits (`0x` allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spi(pub u64);

impl FromStr for Spi {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.is_empty() || t.len() > 16 {
            return Err(format!(
                "`{s}`: an IKE SPI is up to 16 hex digits (as `ikev2 decode` and `summary` print them)"
            ));
        }
        u64::from_str_radix(t, 16)
            .map(Spi)
            .map_err(|_| format!("`{s}` is not hex"))
    }
}

impl Spi {
    /// Either SPI of an IKE header is this one.
    pub fn matches(&self, spi_i: u64, spi_r: u64) -> bool {
        self.0 == spi_i || self.0 == spi_r
    }

    /// The form `summary` prints SPIs in.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_select() {
        let r: FrameRange = "10-20".parse().unwrap_or(FrameRange {
            first: 0,
            last: None,
        });
        assert!(r.contains(10) && r.contains(20) && !r.contains(9) && !r.contains(21));
        assert!(r.past(21) && !r.past(20));
        let r: FrameRange = "100-".parse().unwrap_or(FrameRange {
            first: 0,
            last: None,
        });
        assert!(r.contains(100) && r.contains(u64::MAX) && !r.past(u64::MAX));
        let r: FrameRange = "5".parse().unwrap_or(FrameRange {
            first: 0,
            last: None,
        });
        assert_eq!((r.first, r.last), (5, Some(5)));
        let r: FrameRange = "-3".parse().unwrap_or(FrameRange {
            first: 0,
            last: None,
        });
        assert_eq!((r.first, r.last), (1, Some(3)));
        for bad in ["0", "20-10", "a", "1-b", ""] {
            assert!(bad.parse::<FrameRange>().is_err(), "{bad}");
        }
        assert_eq!(
            "0x2071b2d18433d3ca".parse::<Spi>(),
            Ok(Spi(0x2071_b2d1_8433_d3ca))
        );
        assert!("0x2071b2d18433d3ca00".parse::<Spi>().is_err());
    }
}
