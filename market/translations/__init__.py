"""The message catalogue: refusals' English (refusals.py), Chinese sources (zh_source/), compiled zh."""
