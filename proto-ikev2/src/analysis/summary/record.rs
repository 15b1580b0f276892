//! What [`Analyzer::push`] keeps of each message.

use super::*;
use crate::wire::payload::Sa as SaPayload;

#[derive(Debug, Clone)]
pub(super) struct Note {
    pub(super) t: NotifyType,
    pub(super) data: NotifyData,
    pub(super) spi: Vec<u8>,
    pub(super) inner: bool,
}

impl Note {
    /// A notify of the message's outer payloads.
    pub(super) fn outer(n: &Notify) -> Note {
        Note {
            t: n.notify_type,
            data: n.decoded.clone(),
            spi: n.spi.to_vec(),
            inner: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct NatRec {
    /// DESTINATION (else SOURCE).
    pub(super) dest: bool,
    pub(super) matches: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Rec {
    pub(super) frame: u64,
    pub(super) time: u64,
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) size: usize,
    pub(super) ip_fragments: usize,
    pub(super) spi_r: u64,
    pub(super) exchange: ExchangeType,
    pub(super) from_initiator: bool,
    pub(super) response: bool,
    pub(super) message_id: u32,
    pub(super) digest: u64,
    pub(super) outer: Vec<PayloadLabel>,
    pub(super) inner: Option<Vec<PayloadLabel>>,
    pub(super) notifies: Vec<Note>,
    pub(super) sa: Option<Vec<Proposal>>,
    pub(super) ke: Option<KeId>,
    pub(super) ts_i: Option<Vec<String>>,
    pub(super) ts_r: Option<Vec<String>>,
    pub(super) deletes: Vec<(ProtocolId, Vec<String>)>,
    pub(super) id_i: Option<String>,
    pub(super) id_r: Option<String>,
    pub(super) auth: Option<AuthMethod>,
    pub(super) eap: bool,
    pub(super) skf: Option<(u16, u16)>,
    pub(super) sk_data_len: Option<usize>,
    pub(super) encrypted: bool,
    pub(super) decrypted: bool,
    pub(super) nat: Vec<NatRec>,
    /// An IKE_SA_INIT response, read (boxed: only those messages have one).
    pub(super) init_response: Option<Box<InitResponse>>,
}

impl Rec {
    pub(super) fn has_notify(&self, t: NotifyType) -> bool {
        self.notifies.iter().any(|n| n.t == t)
    }

    pub(super) fn direction(&self) -> Direction {
        if self.from_initiator {
            Direction::InitiatorToResponder
        } else {
            Direction::ResponderToInitiator
        }
    }

    /// The record of `m`, whose octets' digest is `digest`.
    pub(super) fn new(m: &Observed<'_>, digest: u64) -> Rec {
        let h = &m.message.header;
        let mut r = Rec {
            frame: m.frame,
            time: m.time_nanos,
            src: m.src,
            dst: m.dst,
            size: m.bytes.len(),
            ip_fragments: m.ip_fragments,
            spi_r: h.spi_r,
            exchange: h.exchange,
            from_initiator: h.initiator(),
            response: h.response(),
            message_id: h.message_id,
            digest,
            outer: Vec::new(),
            inner: None,
            notifies: Vec::new(),
            sa: None,
            ke: None,
            ts_i: None,
            ts_r: None,
            deletes: Vec::new(),
            id_i: None,
            id_r: None,
            auth: None,
            eap: false,
            skf: None,
            sk_data_len: None,
            encrypted: false,
            decrypted: m.decrypted.is_some(),
            nat: Vec::new(),
            init_response: (h.exchange == ExchangeType::IKE_SA_INIT && h.response())
                .then(|| Box::new(init_response(m))),
        };
        r.outer = r.collect(&m.message.payloads, false, Some(m.bytes));
        if let Some(inner) = m.decrypted {
            r.inner = Some(r.collect(inner, true, None));
        }
        for n in r.notifies.iter().filter(|n| !n.inner) {
            let dest = match n.t {
                nt::NAT_DETECTION_SOURCE_IP => false,
                nt::NAT_DETECTION_DESTINATION_IP => true,
                _ => continue,
            };
            let NotifyData::NatDetectionHash(data) = &n.data else {
                r.nat.push(NatRec {
                    dest,
                    matches: false,
                });
                continue;
            };
            let addr = if dest { m.dst } else { m.src };
            let want = nat_detection_hash(h.spi_i, h.spi_r, addr);
            r.nat.push(NatRec {
                dest,
                matches: data.as_slice() == want.as_slice(),
            });
        }
        r
    }

    /// Records what matters of `payloads` (of the message `bytes`, for the outer ones);
    /// returns how the ladder names them.
    pub(super) fn collect(
        &mut self,
        payloads: &[Payload],
        inner: bool,
        bytes: Option<&[u8]>,
    ) -> Vec<PayloadLabel> {
        let mut names = Vec::with_capacity(payloads.len());
        for p in payloads {
            let name = match &p.body {
                PayloadBody::Notify(n) => {
                    self.notifies.push(Note {
                        inner,
                        ..Note::outer(n)
                    });
                    PayloadLabel::Notify(n.notify_type)
                }
                PayloadBody::Sa(sa) => {
                    if self.sa.is_none() {
                        self.sa = Some(proposals_of(sa, p, bytes));
                    }
                    PayloadLabel::Fixed("SA")
                }
                PayloadBody::Ke(ke) => {
                    self.ke.get_or_insert(ke.group);
                    PayloadLabel::Fixed("KE")
                }
                PayloadBody::Nonce(_) => {
                    PayloadLabel::Fixed(if self.from_initiator { "Ni" } else { "Nr" })
                }
                PayloadBody::Ts(ts) => {
                    let list: Vec<String> = ts.selectors.iter().map(ToString::to_string).collect();
                    if p.payload_type == PayloadType::TSI {
                        self.ts_i = Some(list);
                    } else {
                        self.ts_r = Some(list);
                    }
                    PayloadLabel::Type(p.payload_type)
                }
                PayloadBody::Id(id) => {
                    let text = id.to_string();
                    if p.payload_type == PayloadType::IDI {
                        self.id_i = Some(text);
                    } else {
                        self.id_r = Some(text);
                    }
                    PayloadLabel::Type(p.payload_type)
                }
                PayloadBody::Auth(a) => {
                    self.auth = Some(a.method);
                    PayloadLabel::Fixed("AUTH")
                }
                PayloadBody::Eap(_) => {
                    self.eap = true;
                    PayloadLabel::Fixed("EAP")
                }
                PayloadBody::Delete(d) => {
                    self.deletes.push((
                        d.protocol_id,
                        d.spis.iter().map(|s| hex::encode(&s.0)).collect(),
                    ));
                    PayloadLabel::Fixed("D")
                }
                PayloadBody::Sk(sk) => {
                    self.encrypted = true;
                    // The body's length after the generic header: what `data` holds when
                    // the message was parsed with its octets copied (for a payload built by
                    // hand, with a Payload Length of 0, `data` itself), and what it would
                    // hold when they were left in the message (`OpaqueData::Left`).
                    self.sk_data_len =
                        Some(sk.data.len().max(usize::from(p.length).saturating_sub(4)));
                    PayloadLabel::Fixed("SK")
                }
                PayloadBody::Skf(f) => {
                    self.encrypted = true;
                    self.skf = Some((f.fragment_number, f.total_fragments));
                    PayloadLabel::Skf {
                        number: f.fragment_number,
                        total: f.total_fragments,
                    }
                }
                _ => PayloadLabel::Type(p.payload_type),
            };
            names.push(name);
        }
        names
    }
}

/// The proposals of the SA payload `p`: as parsed, or, when the parse left them in the
/// message `bytes` (`OpaqueData::Left`: `proposals` empty, which a parsed SA payload never
/// is), parsed from there now — only for the messages that are recorded.
fn proposals_of(sa: &SaPayload, p: &Payload, bytes: Option<&[u8]>) -> Vec<Proposal> {
    if !sa.proposals.is_empty() {
        return sa.proposals.to_vec();
    }
    bytes
        .and_then(|b| SaPayload::parse_left(p, b))
        .map(|s| s.proposals.into_vec())
        .unwrap_or_default()
}

/// [`InitResponse::read`] of the message, with the SA payload's proposals parsed when the
/// message's parse left them in its octets.
fn init_response(m: &Observed<'_>) -> InitResponse {
    let mut r = InitResponse::read(m.message);
    if r.proposals.as_ref().is_some_and(Vec::is_empty) {
        let first_sa = m.message.payloads.iter().find_map(|p| match &p.body {
            PayloadBody::Sa(sa) => Some((p, sa)),
            _ => None,
        });
        if let Some((p, sa)) = first_sa {
            r.proposals = Some(proposals_of(sa, p, Some(m.bytes)));
        }
    }
    r
}

pub(super) fn short(t: PayloadType) -> String {
    t.short()
        .map_or_else(|| format!("type-{}", t.0), str::to_owned)
}
