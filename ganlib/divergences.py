"""Distances between known 1-D densities, by numerical integration (scipy ``stats`` distributions).

Notebook 01 derives and writes these out; notebook 04 compares them. Integrands are computed from
log-densities so that far tails, where densities underflow to zero, stay finite.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate

_SPAN = (-60.0, 60.0)


def _integrate(integrand, p, q) -> float:
    return float(integrate.quad(integrand, *_SPAN, limit=500, points=sorted({p.mean(), q.mean()}))[0])


def value_at_optimal_discriminator(p, q) -> float:
    """C(G) = V(D*, G) = E_p[log D*] + E_q[log(1 - D*)] with D* = p / (p + q)."""
    def integrand(x):
        log_a, log_b = p.logpdf(x), q.logpdf(x)
        log_sum = np.logaddexp(log_a, log_b)
        return np.exp(log_a) * (log_a - log_sum) + np.exp(log_b) * (log_b - log_sum)
    return _integrate(integrand, p, q)


def jensen_shannon(p, q) -> float:
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats (at most log 2)."""
    def integrand(x):
        log_a, log_b = p.logpdf(x), q.logpdf(x)
        log_m = np.logaddexp(log_a, log_b) - np.log(2)
        return 0.5 * (np.exp(log_a) * (log_a - log_m) + np.exp(log_b) * (log_b - log_m))
    return _integrate(integrand, p, q)


def wasserstein_1(p, q) -> float:
    """The earth mover's distance W1 in one dimension: the area between the two CDFs."""
    return _integrate(lambda x: abs(p.cdf(x) - q.cdf(x)), p, q)
