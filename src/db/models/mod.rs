//! Database rows (`Account`) and the values inserted to create them (`NewAccount`).
//! Wire types for clients and other servers live in `api` and `apub`; the conversions live there.

pub mod account;
pub mod oauth;
pub mod user;

pub use account::{Account, NewAccount};
pub use oauth::{
    AccessToken, Application, AuthorizationCode, NewAccessToken, NewApplication,
    NewAuthorizationCode, WebSession,
};
pub use user::{NewUser, User};
pub mod follow;
pub mod status;

pub use follow::Follow;
pub use status::{NewStatus, Notification, Status, StatusEdit, Tag};
pub mod marker;

pub use marker::Marker;
pub mod list;

pub use list::List;
pub mod filter;

pub use filter::{Filter, FilterKeyword, FilterStatus};
pub mod report;

pub use report::Report;
pub mod conversation;

pub use conversation::AccountConversation;
pub mod media;

pub use media::MediaAttachment;
pub mod poll;

pub use poll::Poll;
