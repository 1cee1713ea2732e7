"""Dependency aliases: how the registry's routes reach its services (`request.app.state.registry`),
the URLs they hand out, and the administrator check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from comfyd.platform.accounts.identity import Identity, RequiredIdentity
from comfyd.platform.registry.catalog import Catalog
from comfyd.platform.registry.lifecycle import VersionLifecycle
from comfyd.platform.registry.links import Links
from comfyd.platform.registry.moderation import Moderation
from comfyd.platform.registry.permissions import require_admin
from comfyd.platform.registry.publishers import Publishers
from comfyd.platform.registry.publishing import Publishing
from comfyd.platform.registry.reviews import Reviews
from comfyd.platform.registry.services import RegistryServices
from comfyd.platform.registry.tokens import PersonalAccessTokens


def registry_services(request: Request) -> RegistryServices:
    return request.app.state.registry


def registry_links(request: Request) -> Links:
    """URLs under the registry's root: the configured one, or the root this request came to
    (the mount prefix included, so a registry under `/registry` links under `/registry`)."""
    base = registry_services(request).base_url
    if base is None:
        url = request.url
        base = f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")
    return Links(base)


def _admin(identity: RequiredIdentity) -> Identity:
    require_admin(identity)
    return identity


Services = Annotated[RegistryServices, Depends(registry_services)]
RegistryLinks = Annotated[Links, Depends(registry_links)]


def _catalog(request: Request) -> Catalog:
    return registry_services(request).catalog


def _publishers(request: Request) -> Publishers:
    return registry_services(request).publishers


def _tokens(request: Request) -> PersonalAccessTokens:
    return registry_services(request).tokens


def _publishing(request: Request) -> Publishing:
    return registry_services(request).publishing


def _lifecycle(request: Request) -> VersionLifecycle:
    return registry_services(request).lifecycle


def _reviews(request: Request) -> Reviews:
    return registry_services(request).reviews


def _moderation(request: Request) -> Moderation:
    return registry_services(request).moderation


CatalogDep = Annotated[Catalog, Depends(_catalog)]
PublishersDep = Annotated[Publishers, Depends(_publishers)]
TokensDep = Annotated[PersonalAccessTokens, Depends(_tokens)]
PublishingDep = Annotated[Publishing, Depends(_publishing)]
LifecycleDep = Annotated[VersionLifecycle, Depends(_lifecycle)]
ReviewsDep = Annotated[Reviews, Depends(_reviews)]
ModerationDep = Annotated[Moderation, Depends(_moderation)]
AdminIdentity = Annotated[Identity, Depends(_admin)]
