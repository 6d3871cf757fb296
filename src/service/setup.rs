//! First start: make sure someone can sign in.

use crate::auth::password::Password;
use crate::auth::secrets;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ErrorKind, Result};
use crate::service::users::{self, Email, NewLocalUser, Role, Username};

/// The credentials of the admin account created on first start; shown once, never stored.
pub struct InitialAdmin {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for InitialAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitialAdmin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// On an empty database, create an `admin` account with a new random password and return it.
/// Returns `None` when anyone already exists (or another app node created the admin first).
pub async fn ensure_initial_admin(db: &Db, settings: &Settings) -> Result<Option<InitialAdmin>> {
    if db.read(users::count_users).await? > 0 {
        return Ok(None);
    }
    let password = secrets::new_password();
    let email = format!("admin@{}", settings.instance.domain.host());
    let prepared = {
        let password = Password::parse(&password)?;
        let email = Email::parse(&email)?;
        tokio::task::spawn_blocking(move || {
            NewLocalUser::prepare(
                Username::parse("admin")?,
                email,
                Some("Administrator".into()),
                Role::Admin,
                Some(&password),
            )
        })
        .await??
    };
    let instance = settings.instance.clone();
    let created = db
        .write(move |conn| {
            if users::count_users(conn)? > 0 {
                return Ok(None);
            }
            users::create_local_user(conn, &instance, prepared).map(Some)
        })
        .await;
    match created {
        Ok(Some(user)) => Ok(Some(InitialAdmin {
            username: user.account.username,
            password,
        })),
        Ok(None) => Ok(None),
        // Another app node won the race.
        Err(e) if e.kind() == ErrorKind::Conflict => Ok(None),
        Err(e) => Err(e),
    }
}
