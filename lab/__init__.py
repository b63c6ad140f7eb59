"""Local multi-site Kubernetes lab: one real control plane per site, kwok GPU nodes, WAN latency via tc.

Run ``python -m lab up|down|status|fault``; see docs/lab.md.
"""
