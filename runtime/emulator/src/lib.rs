//! capz local ARM emulator (see README in this crate).
