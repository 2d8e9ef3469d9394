"""Estimators: training and fine-tuning compute and MFU, serving memory and throughput.

All are numpy-vectorised: every numeric argument may be a float or an array; results broadcast.
"""
