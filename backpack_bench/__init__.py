"""``make bench``: our connector against the shipped Backpack connector and the physical floor (``__main__.py``)."""
