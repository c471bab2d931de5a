"""The paper as data: the profile (a board's report shape), the models it makes, and the
values a template places."""
