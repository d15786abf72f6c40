"""The satisfaction survey's public page, ``/survey/<token>``: the client's, not the staff's
(the answers and their results are the helpdesk's, in ``helpdesk.surveys``)."""
