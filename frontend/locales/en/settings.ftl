# An employee's settings (frontend/templates/settings/*.html): profile, notification
# policy, browser sessions and apps, exports. The pages' heading is nav-settings.

## The settings' own navigation; each page's title is its name, then "· Settings"

settings-profile = Profile
settings-notifications = Notifications
settings-sessions = Sessions and apps
settings-export = Export

## What a settings page says after saving (?done=)

settings-saved = Saved. Your profile is up to date here and in every department.
settings-notifications-saved = Saved. New notifications follow these choices.
settings-session-ended = That browser is signed out.
settings-app-revoked = Revoked. The app can no longer use your account.

## Profile (settings/profile.html)

profile-about-you = About you
profile-display-name = Display name
profile-bio = Bio
# $max: the most characters a bio may have.
profile-bio-hint = Up to { $max } characters. @mentions, #hashtags and links work as in posts.
profile-pictures = Pictures
# Alternative texts of the current pictures.
profile-current-avatar = Your current avatar
profile-current-header = Your current header
profile-avatar = Avatar
# $megabytes: the largest picture accepted.
profile-avatar-hint = PNG, JPEG, GIF or WebP, up to { $megabytes } MB; cut to a 400×400 square.
profile-header = Header
profile-header-hint = Cut to 1500×500.
profile-fields = Profile fields
profile-fields-hint = Shown as a table on your profile: your team, pronouns, where to find you.
# Beside a field the company directory fills in (it cannot be changed here).
profile-from-directory = From the company directory
# The legend of one editable field. $number: its place on the profile.
profile-field = Field { $number }
profile-field-label = Label
profile-field-content = Content
profile-privacy = Privacy and reach
profile-discoverable = List me in the people directory
profile-discoverable-hint = Colleagues in every department can find you by name and interests.
profile-locked = Approve followers myself
profile-locked-hint = Follows wait for your answer.
profile-posting = Posting defaults
profile-default-visibility = Who sees my posts by default
# The default visibilities: names (visibility-private is shared with posts) and hints.
profile-visibility-public-hint = Every department: public timelines, search and your profile
profile-visibility-unlisted = Quiet company
profile-visibility-unlisted-hint = Every department, but not in public timelines
profile-visibility-local = My department only
profile-visibility-local-hint = Never leaves this department
profile-visibility-private-hint = Only the people who follow you
profile-sensitive = Mark my media as sensitive by default
profile-language = Language of my posts
profile-language-unset = Not set (apps guess)
profile-save = Save profile

## Notification policy (settings/notifications.html)

notification-policy-heading = Notifications from people you may not know
notification-policy-hint = Accept: they reach your notifications. Filter: they wait among notification requests, for you to accept or dismiss. Ignore: they are dropped. Apps that follow Mastodon's notification policy show the same choices.
# The choices for each kind of sender.
notification-policy-accept = Accept
notification-policy-filter = Filter
notification-policy-drop = Ignore
# The kinds of sender, each with a hint.
notification-policy-not-following = People you don't follow
notification-policy-not-following-hint = Mentions, boosts, favourites and follows from anyone you don't follow.
notification-policy-not-followers = People not following you
notification-policy-not-followers-hint = …or following you for less than 3 days.
notification-policy-new-accounts = New accounts
notification-policy-new-accounts-hint = Accounts created within the last 30 days.
notification-policy-private-mentions = Unsolicited private mentions
notification-policy-private-mentions-hint = Private posts to you from people you don't follow, unless they reply to you.
notification-policy-limited = Accounts moderators limited
notification-policy-limited-hint = Unless you follow them.
# $count: how many people's notifications wait as requests.
notification-policy-pending = { $count ->
    [one] { $count } person's notifications are waiting among your notification requests.
   *[other] { $count } people's notifications are waiting among your notification requests.
}
notification-policy-save = Save notifications

## Sessions and apps (settings/sessions.html)

sessions-browsers = Browsers signed in
# A browser whose User-Agent says nothing we recognise.
sessions-unknown-browser = An unknown browser
sessions-this-browser = This browser
# Followed by when (a date and time).
sessions-signed-in = Signed in
# After the date, when the session began through the identity provider.
sessions-company-account = with your company account
sessions-last-seen = last seen
# Accessible names of the buttons. $device: e.g. "Firefox on Linux"; $started: a date.
sessions-sign-out-this = Sign out this browser
sessions-revoke-session = Revoke session of { $device } started { $started }
sessions-revoke = Revoke
sessions-apps = Authorised apps
sessions-no-apps = No app can use your account.
# Followed by the app's permissions (scopes such as "read write").
sessions-app-may = May:
sessions-app-authorised = Authorised
sessions-app-last-used = last used
# $count: how many tokens the app holds (shown when more than one).
sessions-app-sign-ins = { $count } sign-ins
# $app: the app's name.
sessions-revoke-app = Revoke { $app }

## Export (settings/export.html)

export-heading = Your data
export-intro = Only what is yours: your own posts (department-only and followers-only ones too), whom you follow, what you bookmarked.
export-posts = Posts
export-posts-what = Every post of yours: text, visibility, language, replies and links.
# Accessible names of the download buttons. $format: JSON or CSV.
export-posts-as = Posts as { $format }
export-follows = Follows
# Followed by a file name (following_accounts.csv), then export-follows-what-end.
export-follows-what = Everyone you follow, as Mastodon's
export-follows-what-end = : import it in Mastodon or another department.
export-follows-as = Follows as { $format }
export-bookmarks = Bookmarks
# Followed by a file name (bookmarks.csv), then export-bookmarks-what-end.
export-bookmarks-what = As Mastodon's
export-bookmarks-what-end = : one post address a line.
export-bookmarks-as = Bookmarks as { $format }
