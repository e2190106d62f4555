"""Who may do what: roles, what each implies, and in which areas. The handlers' one guard
(`handlers.common.requires`) asks these rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

EVERY_AREA = ""


@dataclass(frozen=True)
class Grant:
    volunteer_id: int
    telegram_id: int | None
    name: str | None
    role: str
    area: str


class Role(StrEnum):
    ORGANISER = "organiser"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


# Roles that can be granted; admins come from ADMIN_IDS only.
GRANTABLE = (Role.ORGANISER, Role.COORDINATOR)

# A coordinator can do everything an organiser can; an admin everything.
_IMPLIES: dict[Role, tuple[Role, ...]] = {
    Role.ADMIN: (Role.ADMIN, Role.COORDINATOR, Role.ORGANISER),
    Role.COORDINATOR: (Role.COORDINATOR, Role.ORGANISER),
    Role.ORGANISER: (Role.ORGANISER,),
}

# Target seats are the whole campaign's, with no area of their own: every organiser may see them
# (to plan sessions where they are wanted); coordinators, anywhere, add and change them.
SEE_TARGETS = Role.ORGANISER
SET_TARGETS = Role.COORDINATOR


@dataclass(frozen=True)
class Access:
    telegram_id: int
    is_admin: bool
    grants: tuple[Grant, ...] = ()

    @property
    def roles(self) -> frozenset[Role]:
        held = {Role.ADMIN} if self.is_admin else set()
        held.update(Role(grant.role) for grant in self.grants)
        return frozenset(implied for role in held for implied in _IMPLIES[role])

    def has(self, role: Role) -> bool:
        return role in self.roles

    def areas(self, role: Role) -> frozenset[str] | None:
        """The areas this person acts in as ``role``; None means every area."""
        if self.is_admin:
            return None
        areas = {g.area for g in self.grants if role in _IMPLIES[Role(g.role)]}
        return None if EVERY_AREA in areas else frozenset(areas)

    def covers(self, role: Role, area: str) -> bool:
        """Whether they act as ``role`` for ``area`` (areas match in any case)."""
        if not self.has(role):
            return False
        areas = self.areas(role)
        return areas is None or area.casefold() in {a.casefold() for a in areas}

    def covers_all(self, role: Role, areas: Iterable[str]) -> bool:
        """Whether they act as ``role`` for every one of ``areas``: an election is set up and
        changed only by a coordinator of all its areas."""
        return all(self.covers(role, area) for area in areas)

    def areas_of(self, role: Role, areas: Iterable[str]) -> list[str]:
        """Those of ``areas`` they act in as ``role``, in the order given: the areas of an
        election an organiser sends pledge calls to and sees pledges for."""
        return [area for area in areas if self.covers(role, area)]

    def can_manage(self, role: Role, area: str) -> bool:
        """Admins grant any role anywhere; coordinators grant organisers within their own areas."""
        if self.is_admin:
            return True
        if role is not Role.ORGANISER or not self.has(Role.COORDINATOR):
            return False
        areas = self.areas(Role.COORDINATOR)
        return areas is None or (
            area != EVERY_AREA and area.casefold() in {a.casefold() for a in areas}
        )


@dataclass(frozen=True)
class RoleRequest:
    """`/grant @alice organiser Peckham` read as who, which role and where ('' = every area)."""

    who: str
    role: Role
    area: str


class BadRoleRequest(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


AREA_MAX = 64


def parse_role_request(args: list[str]) -> RoleRequest:
    if len(args) < 2:
        raise BadRoleRequest("usage")
    who, role_name, *area_words = args
    if not (who.startswith("@") and len(who) > 1) and not who.isdigit():
        raise BadRoleRequest("usage")
    try:
        role = Role(role_name.lower())
    except ValueError:
        raise BadRoleRequest("role") from None
    if role not in GRANTABLE:
        raise BadRoleRequest("role")
    area = " ".join(area_words)
    if len(area) > AREA_MAX:
        raise BadRoleRequest("area")
    return RoleRequest(who=who, role=role, area=area)
