"""Posts detected by themselves: public feeds polled, and links to posts pasted by the owner.

`guard` keeps the server from fetching private addresses, `fetch` fetches one address within
limits, `parse` reads RSS, Atom and JSON Feed, `discover` finds a feed from a profile or page,
`links` recognises a link to a post, `counting` keeps a post from being counted twice,
`subscriptions` and `command` are the owner's list and `/feeds`, `pasted` a link typed after the
plan, `schedule` when a feed is fetched next, and `polling` the rounds over every feed.
"""
