//! What an IKE_SA_INIT response says (RFC 7296 §1.2), read once for every user — the capture
//! analysis, the replaying initiator and the probe — and the NAT detection hash (§2.23) that
//! both the initiator (to build its notifies) and the analysis (to check them) compute.
//!
//! A response either accepts — an SA payload with the chosen proposal, the responder's KE
//! payload and Nr — or answers with notifies the initiator must act on, each a [`Demand`]:
//! N(COOKIE) (§2.6: resend with it), N(INVALID_KE_PAYLOAD) (§1.3: resend with the group it
//! names), N(REDIRECT) (RFC 5685: go to another gateway), N(NO_PROPOSAL_CHOSEN) and the other
//! error notifies (§3.10.1). Alongside: NAT detection (§2.23), IKEv2 fragmentation support
//! (RFC 7383 §2.3), signature hash algorithms (RFC 7427 §4) and vendor IDs.

use std::net::{IpAddr, SocketAddr};

use sha1::{Digest, Sha1};

use crate::wire::header::Header;
use crate::wire::message::Message;
use crate::wire::payload::{notify_type, GatewayId, Ke, Notify, NotifyData, PayloadBody, Proposal};
use crate::wire::registry::{HashAlgorithm, KeId, NotifyType};

/// NAT_DETECTION_*_IP data (RFC 7296 §2.23): SHA-1(SPIi | SPIr | IP | port), the SPIs as in the
/// header of the message that carries the notify (SPIr is zero in the IKE_SA_INIT request),
/// the address as 4 or 16 bytes, the port big-endian.
pub fn nat_detection_hash(spi_i: u64, spi_r: u64, addr: SocketAddr) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i.to_be_bytes());
    h.update(spi_r.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(addr.port().to_be_bytes());
    h.finalize().into()
}

/// N(REDIRECT) (RFC 5685 §8): where the responder sends the initiator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The new responder gateway.
    pub gateway: GatewayId,
    /// The Nonce Data it carries: the initiator's nonce, in a response to IKE_SA_INIT.
    pub nonce: Option<Vec<u8>>,
}

/// What the responder asks for or refuses with, one per notify, in the order of the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    /// N(COOKIE) (RFC 7296 §2.6): send the request again with this cookie first.
    Cookie(Vec<u8>),
    /// N(INVALID_KE_PAYLOAD) (RFC 7296 §1.3): a proposal matched, with this group rather than
    /// the KE payload's; `None` when the notify's data is not a group.
    InvalidKe(Option<KeId>),
    /// N(REDIRECT) (RFC 5685); `None` when malformed.
    Redirect(Option<Redirect>),
    /// N(NO_PROPOSAL_CHOSEN): nothing offered is acceptable.
    NoProposalChosen,
    /// Another error notify (RFC 7296 §3.10.1).
    Error(Notify),
}

impl Demand {
    /// The demand a notify makes, if it makes one.
    fn of(n: &Notify) -> Option<Demand> {
        Some(match n.notify_type {
            notify_type::COOKIE => Demand::Cookie(n.data.to_vec()),
            notify_type::INVALID_KE_PAYLOAD => Demand::InvalidKe(match n.decoded {
                NotifyData::InvalidKePayload { group } => Some(group),
                _ => None,
            }),
            notify_type::REDIRECT => Demand::Redirect(match &n.decoded {
                NotifyData::Redirect {
                    gateway_id, nonce, ..
                } => Some(Redirect {
                    gateway: GatewayId::clone(gateway_id),
                    nonce: nonce.clone(),
                }),
                _ => None,
            }),
            notify_type::NO_PROPOSAL_CHOSEN => Demand::NoProposalChosen,
            t if t.is_error() => Demand::Error(n.clone()),
            _ => return None,
        })
    }
}

/// NAT detection (RFC 7296 §2.23) as read from an IKE_SA_INIT response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NatResult {
    /// NAT_DETECTION_SOURCE_IP does not match the response's source: the responder is behind
    /// a NAT.
    pub responder_behind_nat: bool,
    /// NAT_DETECTION_DESTINATION_IP does not match the response's destination: the initiator
    /// is behind a NAT.
    pub initiator_behind_nat: bool,
}

/// An IKE_SA_INIT response, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitResponse {
    /// The IKE header.
    pub header: Header,
    /// The proposals of the (first) SA payload: in a response that accepts, exactly one, the
    /// chosen one (RFC 7296 §3.3).
    pub proposals: Option<Vec<Proposal>>,
    /// The responder's KE payload.
    pub ke: Option<Ke>,
    /// Nr.
    pub nonce: Option<Vec<u8>>,
    /// Demands and refusals, in order.
    pub demands: Vec<Demand>,
    /// The data of each N(NAT_DETECTION_SOURCE_IP), in order.
    pub nat_source: Vec<Vec<u8>>,
    /// The data of each N(NAT_DETECTION_DESTINATION_IP), in order.
    pub nat_destination: Vec<Vec<u8>>,
    /// N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383 §2.3).
    pub fragmentation: bool,
    /// N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 §4), decoded.
    pub signature_hash_algorithms: Vec<HashAlgorithm>,
    /// Vendor IDs, named when known (hex otherwise).
    pub vendor_ids: Vec<String>,
    /// Every notify type, in order.
    pub notifies: Vec<NotifyType>,
}

impl InitResponse {
    /// Reads a parsed message as an IKE_SA_INIT response (the caller checks the exchange
    /// type and the R flag in [`InitResponse::header`] where it matters).
    pub fn read(m: &Message) -> InitResponse {
        let mut r = InitResponse {
            header: m.header.clone(),
            proposals: None,
            ke: None,
            nonce: None,
            demands: Vec::new(),
            nat_source: Vec::new(),
            nat_destination: Vec::new(),
            fragmentation: false,
            signature_hash_algorithms: Vec::new(),
            vendor_ids: Vec::new(),
            notifies: Vec::new(),
        };
        for p in &m.payloads {
            match &p.body {
                PayloadBody::Sa(sa) if r.proposals.is_none() => {
                    r.proposals = Some(sa.proposals.to_vec());
                }
                PayloadBody::Ke(k) if r.ke.is_none() => r.ke = Some(k.clone()),
                PayloadBody::Nonce(n) if r.nonce.is_none() => r.nonce = Some(n.data.to_vec()),
                PayloadBody::VendorId(v) => r
                    .vendor_ids
                    .push(v.vendor.map_or_else(|| hex::encode(&v.data), str::to_owned)),
                PayloadBody::Notify(n) => {
                    r.notifies.push(n.notify_type);
                    r.demands.extend(Demand::of(n));
                    match (n.notify_type, &n.decoded) {
                        (notify_type::NAT_DETECTION_SOURCE_IP, _) => {
                            r.nat_source.push(n.data.to_vec())
                        }
                        (notify_type::NAT_DETECTION_DESTINATION_IP, _) => {
                            r.nat_destination.push(n.data.to_vec())
                        }
                        (notify_type::IKEV2_FRAGMENTATION_SUPPORTED, _) => r.fragmentation = true,
                        (
                            notify_type::SIGNATURE_HASH_ALGORITHMS,
                            NotifyData::SignatureHashAlgorithms(v),
                        ) => r.signature_hash_algorithms = v.to_vec(),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        r
    }

    /// The chosen proposal: the first of the SA payload.
    pub fn chosen(&self) -> Option<&Proposal> {
        self.proposals.as_deref()?.first()
    }

    /// The first error notify (a refusal).
    pub fn first_error(&self) -> Option<NotifyType> {
        self.notifies.iter().copied().find(|t| t.is_error())
    }

    /// NAT detection for a response that went from `from` (the responder) to `to` (the
    /// initiator): a source hash that matches none of the responder's addresses, a destination
    /// hash (the last one) that is not the initiator's. `None` without NAT_DETECTION notifies.
    pub fn nat(&self, from: SocketAddr, to: SocketAddr) -> Option<NatResult> {
        let (spi_i, spi_r) = (self.header.spi_i, self.header.spi_r);
        let src = nat_detection_hash(spi_i, spi_r, from);
        let dst = nat_detection_hash(spi_i, spi_r, to);
        let src_ok =
            (!self.nat_source.is_empty()).then(|| self.nat_source.iter().any(|h| h[..] == src[..]));
        let dst_ok = self.nat_destination.last().map(|h| h[..] == dst[..]);
        (src_ok.is_some() || dst_ok.is_some()).then_some(NatResult {
            responder_behind_nat: src_ok == Some(false),
            initiator_behind_nat: dst_ok == Some(false),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nat_hash_is_rfc7296_layout() {
        // SHA-1 over 8 + 8 + 4 + 2 bytes: SPIi, SPIr, IPv4, port.
        let addr: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let mut h = Sha1::new();
        h.update([
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1, 0x01, 0xf4,
        ]);
        let want: [u8; 20] = h.finalize().into();
        assert_eq!(nat_detection_hash(0x0102030405060708, 0, addr), want);
        assert_ne!(nat_detection_hash(0x0102030405060708, 1, addr), want);
    }
}
