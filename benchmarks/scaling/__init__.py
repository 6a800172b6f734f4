"""How do the transform and the fits scale beyond one machine?"""
