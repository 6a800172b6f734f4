"""How accurate are the models on the QM9 subset's 16,000 / 4,000 split?"""
