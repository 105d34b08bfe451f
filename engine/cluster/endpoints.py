"""The coordinator's remote endpoints as cluster workers get them: which endpoint serves a
pinned model, and for each item that calls one, its configuration with the key read from
the coordinator's keyring (or its environment variable) at that moment. Workers keep
neither: the key travels in the item's call and lives as long as the item."""

from __future__ import annotations

from collections.abc import Sequence

from engine.cluster.worker import EndpointCall
from engine.providers.remote.endpoint import Endpoint
from engine.providers.remote.secrets import get_key


class CoordinatorEndpoints:
    """The endpoints configured on the coordinator (none: items use local models only)."""

    def __init__(self, endpoints: Sequence[Endpoint] = ()) -> None:
        self._by_name = {e.name: e for e in endpoints}
        self._serving = {e.qualified(m): e.name for e in endpoints for m in e.models}

    @classmethod
    def configured(cls) -> CoordinatorEndpoints:
        """The user config's `[endpoints]`."""
        from engine.providers.remote.endpoint import load_endpoints

        return cls(load_endpoints())

    def serving(self, model: str) -> str | None:
        """The endpoint that serves `model` (`<endpoint>/<model>`), or None."""
        return self._serving.get(model)

    def calls(self, names: frozenset[str]) -> tuple[EndpointCall, ...]:
        """What one item needs to call the endpoints `names`, keys read now."""
        return tuple(
            EndpointCall(name, self._by_name[name].to_config(), get_key(name))
            for name in sorted(names)
        )
