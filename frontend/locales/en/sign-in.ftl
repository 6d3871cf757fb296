# Signing in and out, approving an app's access (OAuth), and company sign-in (SSO).

## The sign-in page (sign_in.html)

# $instance: this department's name (instance.name).
sign-in-heading = Sign in to { $instance }
# Above the password form, when company sign-in is offered too.
sign-in-or-password = Or with a password of this instance:
sign-in-username = Username or e-mail
sign-in-password = Password
# Shown above the form when a password was sent although only company sign-in is on.
sign-in-passwords-off = Password sign-in is turned off here: sign in with your company account.
sign-in-form-expired = Your sign-in form expired. Please try again.

## Signing out

sign-out-failed = Sign out failed
sign-out-form-expired = The form expired. Please go back and try again.

## The page where an app asks for access to the account (authorize.html)

# The page title. $app: the app's name, as the app registered it.
authorize-title = Authorize { $app }
authorize-heading = Authorize { $app }?
# Between the app's name and the employee's @username, in bold.
authorize-wants = wants to use your account
# After the @username; the list of permissions follows.
authorize-permissions = with these permissions:
authorize-approve = Authorize
authorize-deny = Deny
# Before a "Sign out" button. $username: the signed-in employee's username.
authorize-not-you = Not @{ $username }?
# Headings and sentences of the pages an authorization ends on.
authorize-link-broken = This sign-in link does not work
authorize-failed = Authorization failed
authorize-sign-in-again = Please sign in again
authorize-session-ended = Your session ended before you answered. Start again from the app.
authorize-form-expired = The form expired. Start again from the app.
authorize-denied = Access denied
authorize-denied-text = You did not authorize the app.

## The code an app without a web address shows to paste (oob.html)

oob-title = Authorization code
# Followed by the app's name in bold, then oob-copy-end.
oob-copy = Copy this code and paste it into
oob-copy-end = :
# $minutes: how long the code stays valid.
oob-expires = It works once, within { $minutes } minutes.

## Company sign-in through the identity provider

sso-not-set-up = Company sign-in is not set up
sso-not-set-up-text = This instance does not use a company identity provider. Sign in with your password.
sso-unavailable = Company sign-in is unavailable
sso-failed = Sign-in failed
sso-not-this-browser = This sign-in response does not belong to a sign-in started in this browser, or it has expired. Please sign in again.
sso-used-or-expired = This sign-in response was already used or has expired. Please sign in again.
# $reason: what the identity provider said, in its own words (often English).
sso-provider-refused = Your identity provider did not sign you in: { $reason }
sso-no-code = The identity provider sent no authorization code. Please sign in again.
sso-not-allowed = You cannot sign in here
