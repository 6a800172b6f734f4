"""How accurate are the coefficients, and does a change of code keep them bit for bit?"""
