//! HTTPS for the emulator: a generated certificate authority plus a server certificate for
//! `127.0.0.1`, `::1` and `localhost` (rcgen, ring), and the rustls server config the
//! accept loop (`serve.rs`) hands to tokio-rustls (ring provider: no aws-lc build).
//!
//! Why a CA and a leaf rather than one self-signed leaf: clients that verify strictly
//! (OpenSSL with `VERIFY_X509_STRICT`, as Python 3.13 sets by default; webpki) want the
//! trusted certificate to be a CA and the server certificate to be an end-entity one.
//! Clients trust the CA's PEM, written to [`TlsConfig::cert_out`].

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::Error;

/// HTTPS settings of [`crate::Config::tls`].
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Where to write the PEM of the generated certificate authority that signed the
    /// server certificate (the file clients add to their trusted roots). Written (parent
    /// folders created) before the server accepts connections; `None` = not written (the
    /// PEM is still on [`crate::Server::ca_pem`]).
    pub cert_out: Option<PathBuf>,
}

/// A generated CA and server certificate (PEM and DER) with the server's private key.
pub(crate) struct Generated {
    /// PEM of the CA certificate (what clients trust).
    pub ca_pem: String,
    /// Server certificate chain: leaf, then CA.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's PKCS#8 private key.
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// Generates a fresh CA ("capz local ARM emulator CA", valid 1 day before to 1 year after
/// now) and a server certificate for `127.0.0.1`, `::1` and `localhost` signed by it.
/// Errors: key generation or signing failure ([`Error::Config`], message says which).
pub(crate) fn generate() -> Result<Generated, Error> {
    let err = |what: &str, e: rcgen::Error| Error::Config(format!("TLS {what}: {e}"));
    let now = time::OffsetDateTime::now_utc();
    let validity = |p: &mut CertificateParams| {
        p.not_before = now - time::Duration::days(1);
        p.not_after = now + time::Duration::days(365);
    };

    let mut ca = CertificateParams::default();
    validity(&mut ca);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "capz local ARM emulator CA");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(|e| err("CA key", e))?;
    let ca = CertifiedIssuer::self_signed(ca, ca_key).map_err(|e| err("CA certificate", e))?;

    let mut leaf = CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "localhost".to_string(),
    ])
    .map_err(|e| err("server certificate names", e))?;
    validity(&mut leaf);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    leaf.distinguished_name = dn;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().map_err(|e| err("server key", e))?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca)
        .map_err(|e| err("server certificate", e))?;

    Ok(Generated {
        ca_pem: ca.pem(),
        chain: vec![leaf_cert.der().clone(), ca.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
    })
}

/// A rustls server config (ring provider, TLS 1.2 and 1.3, ALPN http/1.1).
pub(crate) fn server_config(g: &Generated) -> Result<rustls::ServerConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS protocol versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(g.chain.clone(), PrivateKeyDer::Pkcs8(g.key.clone_key()))
        .map_err(|e| Error::Config(format!("TLS server certificate: {e}")))?;
    // The accept loop serves HTTP/1 only (serve.rs), so only http/1.1 is offered.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}
