from lab.analysis.stats import median_ci


def test_median_of_odd_and_even_samples():
    assert median_ci([3.0, 1.0, 2.0]).median == 2.0
    assert median_ci([4.0, 1.0, 2.0, 3.0]).median == 2.5


def test_interval_reaches_99_percent_with_enough_samples():
    values = [float(v) for v in range(1, 21)]  # n = 20
    ci = median_ci(values)
    assert ci.coverage >= 0.99
    # For n = 20 the 99% order-statistic interval is [x(4), x(17)] (1-based): values 4 and 17.
    assert (ci.low, ci.high) == (4.0, 17.0)


def test_small_samples_report_their_real_coverage():
    ci = median_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (ci.low, ci.high) == (1.0, 5.0)
    assert abs(ci.coverage - (1 - 2 / 32)) < 1e-12


def test_nan_and_empty():
    assert median_ci([]) is None
    assert median_ci([float("nan"), 1.0]).n == 1
