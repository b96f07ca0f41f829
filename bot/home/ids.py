"""Action ids of the App Home's own buttons.

A press on a home tab has no response_url, so these are answered by republishing the home,
not by the message listeners.
"""

HOME_ANSWERED = "vakt_home_answered"
HOME_NO_REPLY = "vakt_home_no_reply"
HOME_REFERRED = "vakt_home_referred"
HOME_SHOW_ALL = "vakt_home_show_all"
