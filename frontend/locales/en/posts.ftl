# Posts: how a post shows (card.html), writing one (compose_form.html), the timelines
# (timeline.html), a thread (thread.html), and the public pages of a post and an account
# for visitors who are not signed in (status.html, profile.html).

## Who may see a post: on every post, and the choices of the compose box

# The name of each visibility, on every post and in the compose box.
visibility-public = Company
visibility-unlisted = Company, unlisted
visibility-private = Followers only
visibility-direct = Mentioned people only
visibility-local = Department only
# The compose box's names for them, when they differ, and what each means.
compose-visibility-unlisted = Company, quietly
compose-visibility-public-hint = Everyone in every department; on the company timeline.
# $department: this department's server name.
compose-visibility-local-hint = Only people at { $department }. It never leaves the department.
compose-visibility-unlisted-hint = Everyone may see it, but it stays off the public timelines.
compose-visibility-private-hint = Your followers (in any department) and the people you mention.
compose-visibility-direct-hint = A private conversation with the people you mention.

## A post (card.html)

# After the name of who boosted the post (a link).
card-boosted = boosted
# Beside the visibility, when a rule or the department-only setting keeps the post here.
card-stays-in-department = stays in the department
# After the post's department, when it was edited.
card-edited = edited
# After the post's department, while a policy rule holds it for review.
card-held = waiting for a moderator
# The button that unfolds a post behind a content warning.
card-show = Show
# Accessible names of the action buttons (the counts follow). $name: the author's name.
card-reply = Reply to { $name }, replies:
card-boost = Boost, boosts:
card-favourite = Favourite, favourites:
card-bookmark = Bookmark
card-edit = Edit
card-delete = Delete
# The browser's confirmation before deleting (shown by the page's script).
card-delete-confirm = Delete this post? This cannot be undone.
# A poll in a post. The legend is for screen readers.
poll = Poll
# $count: how many people voted.
poll-voters = { $count ->
    [one] { $count } person voted
   *[other] { $count } people voted
}
poll-closed = closed
# $date: when the poll closes (UTC).
poll-ends = ends { $date }
poll-vote = Vote
poll-choose = Choose one of the poll's options.

## The compose box (compose_form.html, compose.html)

# The compose page's title and the box's accessible name when writing a new post.
compose-new = New post
# The same when editing one's post.
compose-edit = Edit post
# The box's accessible name, and its button, when replying.
compose-reply = Reply
# The text field's label. $name: the @address of whom the reply answers.
compose-reply-to = Reply to { $name }
compose-your-post = Your post
compose-what = What would you like to share?
compose-suggestions = Suggestions
# After the number of characters left (the page's script counts down).
compose-chars = characters at most.
# After Ctrl+Enter.
compose-ctrl-enter = posts.
compose-warning = Content warning
compose-warning-hint = (optional: the post is folded behind it)
compose-who-sees = Who can see it?
compose-images = Images
# $count: how many images a post may have.
compose-images-hint = (up to { $count }, each with a description)
# $number: which image (1 to 4).
compose-image = Image { $number }
compose-image-description = Description of image { $number } (for people who cannot see it)
compose-sensitive = Hide the images until clicked (sensitive)
compose-poll-hint = (2 to 4 choices)
# $number: which choice (1 to 4).
compose-poll-choice = Choice { $number }
compose-poll-open-for = Open for
compose-poll-hour = 1 hour
compose-poll-day = 1 day
compose-poll-3-days = 3 days
compose-poll-week = 1 week
compose-poll-multiple = Several choices allowed
compose-editing-note = Images and polls stay as they are. Visibility cannot change after posting.
compose-save = Save
compose-post = Post
# Pages after posting, when a policy rule held the post or kept it in the department.
# $rule: the rule's name; $why: what the rule says about itself (both written by an admin).
compose-held = Your post waits for a moderator
compose-held-text = The rule "{ $rule }" holds it for review: { $why } Only you see it until a moderator approves it.
compose-kept = Posted in the department only
compose-kept-text = The rule "{ $rule }" keeps this post in the department: { $why }
compose-edit-held = Your edit waits for a moderator
compose-edit-held-text = The rule "{ $rule }" holds it for review: { $why } Until a moderator approves it, others see the earlier version.

## Timelines (timeline.html)

timeline-home = Home
timeline-home-lede = Posts from the people you follow, in every department.
timeline-home-empty = Nothing here yet. Follow colleagues from People or the company timeline, and their posts appear here.
timeline-department = Department
# $department: this department's server name.
timeline-department-lede = Everything posted at { $department }, department-only posts included.
timeline-department-empty = Nobody in the department has posted yet.
timeline-company = Company
timeline-company-lede = Public posts from every department of the company.
timeline-company-empty = No public posts yet. Posts of other departments appear once someone here follows people there.
# $tag: the hashtag, without #.
timeline-tag = #{ $tag }
timeline-tag-lede = Posts about #{ $tag } from every department.
timeline-tag-empty = No posts with this hashtag yet.
timeline-lists = Lists
timeline-lists-lede = Your lists: make them in any Mastodon app; read them here.
timeline-lists-none = You have no lists yet.
timeline-list-lede = A list of yours.
timeline-list-empty = No posts from the people on this list yet.
timeline-bookmarks = Bookmarks
timeline-bookmarks-lede = Posts you bookmarked: only you see this list.
timeline-bookmarks-empty = No bookmarks yet: bookmark a post to find it here.
timeline-favourites = Favourites
timeline-favourites-lede = Posts you favourited.
timeline-favourites-empty = No favourites yet.
# While the usage policy waits for the employee: the link's text (timeline-policy-link)
# sits between the two parts.
timeline-policy = Before you post or interact (replies, boosts, favourites, follows, votes), read and accept the
timeline-policy-link = usage policy
timeline-policy-end = . Reading stays possible.
# A button over the timeline; the page's script shows it when new posts arrived.
# $count: how many.
timeline-show-new = { $count ->
    [one] Show { $count } new post
   *[other] Show { $count } new posts
}
# Shown there before the script counted anything.
timeline-show-new-posts = Show new posts
# Accessible names of the list of posts and of the link to older ones.
timeline-posts = Posts
timeline-more = More
timeline-older = Older posts

## What a page says after an action (?done=)

done-posted = Posted.
done-edited = Your post is updated.
done-deleted = Your post is deleted.
done-followed = You follow them now: their posts reach your home timeline.
done-requested = Follow requested: they approve followers themselves.
done-unfollowed = You no longer follow them.
done-voted = Your vote is counted.
done-accepted = Follow request accepted.
done-rejected = Follow request rejected.

## A thread (thread.html)

# The page title. $name: the author's name.
post-title = Post by { $name }
thread = Thread
thread-replies = Replies

## Public pages of an account and a post (profile.html, status.html)

# Counts on a profile. $count: how many.
count-posts = { $count ->
    [one] { $count } post
   *[other] { $count } posts
}
count-following = { $count } following
count-followers = { $count ->
    [one] { $count } follower
   *[other] { $count } followers
}
count-replies = { $count ->
    [one] { $count } reply
   *[other] { $count } replies
}
count-boosts = { $count ->
    [one] { $count } boost
   *[other] { $count } boosts
}
count-favourites = { $count ->
    [one] { $count } favourite
   *[other] { $count } favourites
}
# After a post's date on the public pages.
public-department-only = department only
no-posts = No posts to show.
# The public page of a post: its title. $name: the author; $summary: the post's first words.
public-post-title = { $name }: “{ $summary }”
