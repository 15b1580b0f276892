//! What a capture's IKE messages mean: one summary per IKE SA (`summary`), the RFC 8247 rating
//! of its algorithms (`audit`), and the plain-words explanations of error notifies (`explain`).

pub mod audit;
pub mod explain;
pub mod summary;
