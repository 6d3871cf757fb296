//! Authentication: OAuth scopes, bearer tokens and local passwords.

pub mod password;
pub mod scopes;
pub mod secrets;

pub use scopes::Scopes;
