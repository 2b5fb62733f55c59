"""The fleet of a run: every (host, runtime) pair, with the runner that serves it or the reason
it cannot run there. Built once per run so versions and reasons are asked once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lab.hosts import Host, get_host, host_status
from lab.model import Detection
from lab.runners import versions
from lab.runners.base import Runner, RunnerUnavailable
from lab.runners.registry import all_runners


@dataclass
class Fleet:
    hosts: dict[str, Host]
    runners: dict[tuple[str, str], Runner] = field(default_factory=dict)  # only the usable pairs
    detections: dict[tuple[str, str], Detection] = field(default_factory=dict)

    def detection(self, host_id: str, runtime_id: str) -> Detection:
        return self.detections[(host_id, runtime_id)]

    def runner(self, host_id: str, runtime_id: str) -> Runner:
        return self.runners[(host_id, runtime_id)]

    def manifest_entry(self) -> dict:
        """What the run manifest records: per host, every runtime's detection."""
        return {host: {rid: det.as_dict() for (h, rid), det in self.detections.items() if h == host}
                for host in self.hosts}


def assemble(host_ids: tuple[str, ...], local_name: str = "", releases: tuple[str, ...] = ()) -> Fleet:
    """Every (host, runtime) pair. `local_name` renames the local host in results, so two CI
    machines that are each "local" to themselves stay apart when their shards are merged.
    `releases` are ID@VERSION runtimes to serve too, each installed first (lab.runners.versions)."""
    hosts = [get_host(host_id) for host_id in host_ids]
    if local_name:
        hosts = [replace(h, id=local_name) if h.id == "local" else h for h in hosts]
    fleet = Fleet(hosts={host.id: host for host in hosts})
    runners = all_runners() | {runtime_id: versions.runner_for(runtime_id) for runtime_id in releases}
    for host in fleet.hosts.values():
        reachable, why = host_status(host)
        for runtime_id, runner in runners.items():
            key = (host.id, runtime_id)
            if not reachable:
                fleet.detections[key] = Detection(runtime_id, False, reason=f"host {host.id} unavailable: {why}")
                continue
            try:
                served = runner.on_host(host)
                detection = served.detection()
            except RunnerUnavailable as error:
                fleet.detections[key] = Detection(runtime_id, False, reason=str(error))
                continue
            except Exception as error:  # a broken install must not take the run down with it
                fleet.detections[key] = Detection(runtime_id, False, reason=f"detection failed: {error}")
                continue
            fleet.detections[key] = detection
            if detection.available:
                fleet.runners[key] = served
    return fleet
