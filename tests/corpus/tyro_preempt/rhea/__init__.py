"""rhea: the small regression model we use to smoke-test the preemptible partition."""

__version__ = "0.3.1"
