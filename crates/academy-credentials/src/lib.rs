//! Verifiable certificates, without a database: the Open Badges 3.0 `OpenBadgeCredential` an
//! Academy certificate is ([`badge`]), its embedded Data Integrity proof with the
//! `eddsa-rdfc-2022` cryptosuite ([`proof`]), the issuer's Ed25519 key ([`keys`]) and `did:web`
//! document ([`did`]), and the Bitstring Status List that publishes revocations ([`status`]).
//!
//! JSON-LD expansion and RDF canonicalisation (RDFC-1.0) come from the Oxigraph project's
//! `oxjsonld` and `oxrdf`; every JSON-LD context is pinned in the binary ([`contexts`]), so
//! nothing is fetched at run time and a document naming another context is refused.

pub mod badge;
pub mod contexts;
pub mod did;
pub mod keys;
pub mod proof;
pub mod status;

pub use keys::IssuerKey;
pub use proof::ProofError;
