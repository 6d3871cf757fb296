//! Authentication: OAuth scopes, bearer tokens, local passwords and the OpenID Connect client.

pub mod oidc;
pub mod password;
pub mod scopes;
pub mod secrets;

pub use scopes::Scopes;
