# make soak: rule updates under load (bench/soak.sh; SOAK_SECONDS,
# SOAK_CONNECTIONS, SOAK_FLIP_MS are passed through). Bounded in time.

.PHONY: soak

soak: all
	bash bench/soak.sh
