# The employee web app's frame: the layout every signed-in page shares (app.html), the
# start page for visitors (home.html), and the pages that say what went wrong.
# English is the fallback: a message missing from another language is shown in English.

## Layout of every signed-in page (app.html)

# A link for keyboard and screen-reader users, first on the page.
app-skip-to-content = Skip to content
# The accessible name of the main navigation.
nav-main = Main
# The main navigation's links.
nav-home = Home
nav-department = Department
nav-company = Company
nav-notifications = Notifications
nav-people = People
nav-bookmarks = Bookmarks
nav-settings = Settings
# In the top bar and on the start page, followed by the employee's @username in bold.
app-signed-in-as = Signed in as
# A button: ends this browser's session (top bar, start page, authorize page).
sign-out = Sign out
# A link or button to the sign-in page.
sign-in = Sign in

## The keyboard shortcuts dialog (press ? on any page)

shortcuts-title = Keyboard shortcuts
shortcuts-new-post = Write a new post
shortcuts-post = Post (in the compose box)
shortcuts-next-previous = Next / previous post
shortcuts-act = Favourite, boost, reply to the focused post
# Between the keys of a two-key shortcut: "g then h".
shortcuts-then = then
# What g followed by h, l, c, n, p, b or s opens, in that order.
shortcuts-go = Home, Department, Company, Notifications, People, Bookmarks, Settings
shortcuts-find-people = Find people
shortcuts-help = This help
dialog-close = Close
# Key names as printed on keyboards (in the dialog and under the compose box).
key-ctrl = Ctrl
key-enter = Enter

## The start page for visitors (home.html); a signed-in employee sees the home timeline

start-title = Home
# After "Signed in as @username": the end of the sentence.
start-signed-in-end = .
start-find-people = Find people across the company
# Followed by this department's server name (code), then start-apps-end.
start-apps = Use any Mastodon app (Elk, Phanpy, Tusky, Ivory, …) with the server
start-apps-end = .

## Pages that say what went wrong (message.html)

# The heading of an error page; the reason follows.
error-did-not-work = That did not work
error-form-expired = The form expired. Please go back, reload the page and try again.
# A link under every message page.
back-to-start = Back to the start page
not-found = Not found
not-found-text = There is nothing here, or it is not shown to you.
