"""Documents for people: the transcript as HTML and PDF, with words for every code."""
