# Developer shortcuts. The local robot fleet (spire-server, spire-edge running spire-agent, and
# whatever scripts/dev-fleet.d/ adds: Mosquitto and the demo clients) lives in target/dev-fleet.
.PHONY: dev-start dev-status dev-logs dev-stop dev-clean

dev-start:
	cargo build --bins --quiet
	scripts/dev-fleet start

dev-status:
	scripts/dev-fleet status

dev-logs:
	scripts/dev-fleet logs

dev-stop:
	scripts/dev-fleet stop

dev-clean:
	scripts/dev-fleet clean
