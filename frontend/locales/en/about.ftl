# Pages about the department anyone may read: what the engagement metrics measure
# (about_metrics.html, /about/metrics) and the usage policy (usage_policy.html).

## What is measured (/about/metrics)

metrics-title = What is measured
# $instance: this department's name.
metrics-heading = What { $instance } measures, and what it never does
# The intro; metrics-intro-groups follows in bold, then metrics-intro-end.
metrics-intro = The department's administrators see how the network is used — to learn whether it helps people find each other and share what they know. They see
metrics-intro-groups = numbers about groups
metrics-intro-end = , never about you.
metrics-rule-heading = The rule
# The privacy rule, in parts around the smallest group size (a number in bold) and the
# word metrics-suppressed (in italics).
metrics-rule-shown = A number is shown only when at least
metrics-rule-people = different people are behind it. Below that it is shown as
metrics-suppressed = suppressed
metrics-rule-end = {" "}— not as zero, and not in any total from which it could be worked out.
metrics-counted-heading = What is counted, per day
# The table's column headings.
metrics-figure = Figure
metrics-what-it-counts = What it counts
# The table's rows: a figure, then what it counts.
metrics-active = Active employees
metrics-active-counts = How many employees posted, replied, boosted, favourited, voted, signed in or used an app that day (over a week or month: each person once).
metrics-new = New employees
metrics-new-counts = Accounts created.
metrics-activity = Posts, replies, boosts, favourites, follows, poll votes
metrics-activity-counts = How many were made by employees here.
metrics-interactions = Interactions
metrics-interactions-counts = Favourites, boosts and replies that posts from here received.
metrics-between = Between departments
metrics-between-counts = Follows, replies, mentions, boosts and favourites between this department and each other department, both ways.
metrics-questions = Questions
# Followed by the hashtags that mark a question (#help, #question …), then
# metrics-questions-counts-end.
metrics-questions-counts = Posts that ask (a “?” or{" "}
metrics-questions-counts-end = ), how many got an answer, and how long the first answer took (median and 90th percentile).
metrics-hashtags = Hashtags, languages
metrics-hashtags-counts = How many posts used each hashtag and each language.
metrics-retention = Retention
metrics-retention-counts = Of the people who joined on a day or in a month, how many were active in the days or months after.
metrics-moderation = Moderation
metrics-moderation-counts = Reports opened and resolved, posts held by the department's rules, approved or rejected.
metrics-never-heading = What is never collected or shown
metrics-never-content = What you wrote: no figure and no export carries the content of a post or message.
metrics-never-who = Who did what: no figure, export, page or log names an employee, and no monitoring label carries a username or an id.
# $min: the smallest group size a figure is shown for.
metrics-never-readers = Who read an announcement: administrators see how many did, only once at least { $min } did.
metrics-who-heading = Who sees it
metrics-who = The department's administrators and moderators, through the admin tools, and as exports for leadership's reports — always as the numbers above. Only the moderators acting on a report see whom it is about.
# $min: the smallest group size a figure is shown for.
metrics-company = For the company's report, administrators may collect every department's numbers into one. Only the numbers above leave the department — already suppressed where fewer than { $min } people are behind them — never a post, a name or who did what.

## The usage policy (/about/usage-policy)

policy-title = Usage policy
# $instance: this department's name.
policy-heading = Usage policy of { $instance }
# $version: the policy's version number; $published: when it was published (UTC).
policy-version = Version { $version }, published { $published }
# $version: the version accepted; $date: when (UTC).
policy-accepted = You accepted version { $version } on { $date }.
policy-read-and-accept = Before you post or interact again (replies, boosts, favourites, follows, votes), read the policy above and accept it. Reading stays possible.
policy-accept = I have read and accept the usage policy
policy-sign-in = Sign in to accept it
# Headings and sentences of the pages the policy's form can end on.
policy-none = No usage policy
policy-none-text = This department has not published a usage policy.
policy-failed = Something went wrong
policy-form-expired = The form expired. Read the policy again and accept it.
policy-no-version = The form did not say which version you accept. Please try again.
