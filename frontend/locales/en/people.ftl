# People: a colleague's profile in the app (account.html), follow requests
# (follow_requests.html), the people directory (people.html) and notifications
# (notifications.html).

## Following

follow = Follow
# Accessible name of a Follow button. $name: the person's name.
follow-name = Follow { $name }
follow-requests = Follow requests

## A profile in the app (account.html)

account-follows-you = Follows you
account-edit-profile = Edit profile
account-unfollow = Unfollow
account-withdraw = Withdraw request
# Instead of Follow, when the person approves followers themselves.
account-ask-to-follow = Ask to follow
# Tooltip of the check mark beside a verified profile field.
account-verified = Verified
# After a number in bold ($count), in the profile's counts.
account-posts = { $count ->
    [one] post
   *[other] posts
}
account-following = following
account-followers = { $count ->
    [one] follower
   *[other] followers
}

## Follow requests (follow_requests.html)

follow-requests-lede = People who asked to follow you. Your posts for followers reach them once you accept.
follow-requests-none = No one is waiting.
follow-requests-accept = Accept
follow-requests-reject = Reject
# Accessible names of the buttons. $name: who asked.
follow-requests-accept-name = Accept { $name }
follow-requests-reject-name = Reject { $name }

## The people directory (people.html)

people-lede = Colleagues in every department, by what they post about and follow, by name, title or department. Only those who chose to be discoverable are listed.
people-query = Name, title or anything on their profile
people-knows-about = Knows about (hashtag)
people-department = Department
people-every-department = Every department
people-search = Search
people-no-match = Nobody matches that yet. Try a broader word or another hashtag.
people-none-listed = Nobody is listed yet: the directory fills as departments sync.
# Accessible names of the results and of a person's hashtags.
people-found = People found
people-interests = Interests
# Badges instead of the Follow button.
people-you = You
people-following = Following
people-requested = Requested
people-more = More people
# Beside one of a person's hashtags: how they use it. $posts: how many of their posts
# carry it (0: they follow the hashtag).
people-interest = { $posts ->
    [0] follows
    [one] { $posts } post
   *[other] { $posts } posts
}

## Notifications (notifications.html)

# The filter's choices.
notifications-all = All
notifications-mentions = Mentions
notifications-favourites = Favourites
notifications-boosts = Boosts
notifications-follows = Follows
notifications-polls = Polls
# Accessible name of the filter.
notifications-kinds = Kinds
notifications-none = Nothing yet. When people follow you, reply, boost or favourite, it shows here.
notifications-older = Older notifications
# Who a notification is from: $name is the first person's name, $others how many more.
notification-who = { $others ->
    [0] { $name }
    [one] { $name } and { $others } other
   *[other] { $name } and { $others } others
}
# What happened. $who: notification-who; $count: how many people in all (for agreement).
notification-mention = { $who } mentioned you
notification-status = { $who } posted
notification-reblog = { $who } boosted your post
notification-follow = { $who } followed you
notification-follow-request = { $who } asked to follow you
notification-favourite = { $who } favourited your post
notification-poll = { $who } — a poll ended
notification-update = { $who } edited a post you interacted with
notification-quote = { $who } quoted your post
notification-sign-up = { $who } signed up
notification-report = { $who } filed a report
notification-warning = { $who } — a moderator sent you a warning
notification-other = { $who } — something happened
