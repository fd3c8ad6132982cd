"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { authClient } from "../../lib/auth-client";
import { useTeamLiveUpdates } from "../../lib/live/use-team-live-updates";
import { useWatchedRunNotifications } from "../../lib/live/use-watched-runs";
import { ROLE_LABELS, roleAtLeast, type TeamRole } from "../../lib/roles";
import { cn } from "../ui/cn";
import { Logo } from "./logo";
import { type CurrentTeam, TeamProvider } from "./team-context";

/** The sidebar's pages; a page with a `role` is listed only to members with at least that role. */
const NAV: readonly { path: string; label: string; icon: string; role?: TeamRole }[] = [
  { path: "/runs", label: "Runs", icon: "M3 5h14M3 10h14M3 15h9" },
  { path: "/runs/new", label: "New run", icon: "M10 4v12M4 10h12", role: "MEMBER" },
  { path: "/compare", label: "Compare", icon: "M6 3v14M14 3v14M3 7h6M11 13h6" },
  { path: "/agents", label: "Agents", icon: "M4 5h12v7H4zM7 15h6M10 12v3" },
  {
    path: "/notifications",
    label: "Notifications",
    icon: "M10 3a5 5 0 0 0-5 5v3l-1.5 3h13L15 11V8a5 5 0 0 0-5-5M8 16a2 2 0 0 0 4 0",
  },
  { path: "/api-tokens", label: "API tokens", icon: "M12 4a4 4 0 1 1-3.5 6L4 14.5V17h2.5v-2h2v-2l1.5-1.5" },
  {
    path: "/settings",
    label: "Team",
    icon: "M7 8a3 3 0 1 0 0-.01M3 16c0-2.2 1.8-4 4-4s4 1.8 4 4M13 9a2.5 2.5 0 1 0 0-.01M12.5 12.2c2.3-.3 4.5 1.3 4.5 3.8",
  },
];

function isActive(pathname: string, href: string, path: string) {
  if (path === "/runs")
    return pathname === href || (pathname.startsWith(`${href}/`) && !pathname.endsWith("/new"));
  return pathname === href || pathname.startsWith(`${href}/`);
}

export function TeamShell({
  team,
  teams,
  user,
  children,
}: {
  team: CurrentTeam;
  teams: CurrentTeam[];
  user: { name: string; email: string };
  children: ReactNode;
}) {
  useTeamLiveUpdates(team.id);
  useWatchedRunNotifications();
  const pathname = usePathname();
  const router = useRouter();
  const nav = NAV.filter((item) => item.role === undefined || roleAtLeast(team.role, item.role));
  // Below the md breakpoint the sidebar is a top bar whose menu opens on demand.
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: navigating closes the menu
  useEffect(() => setMenuOpen(false), [pathname]);

  async function signOut() {
    await authClient.signOut();
    router.replace("/sign-in");
    router.refresh();
  }

  return (
    <TeamProvider team={team}>
      <div className="flex min-h-screen flex-col md:flex-row">
        <aside
          className="top-0 z-20 flex shrink-0 flex-col bg-zinc-950 text-zinc-300 md:sticky md:h-screen md:w-56"
          data-testid="sidebar"
        >
          <div className="flex items-center justify-between px-4 py-3 md:px-5 md:pt-5 md:pb-4">
            <Link href="/">
              <Logo inverted />
            </Link>
            <button
              type="button"
              className="rounded-md px-2.5 py-1.5 text-sm font-medium text-zinc-300 ring-1 ring-zinc-700 hover:text-white md:hidden"
              aria-expanded={menuOpen}
              aria-controls="team-menu"
              onClick={() => setMenuOpen((open) => !open)}
            >
              Menu
            </button>
          </div>
          <div
            id="team-menu"
            className={cn("flex-1 flex-col pb-3 md:flex md:pb-0", menuOpen ? "flex" : "hidden")}
          >
            <div className="px-3">
              <label
                htmlFor="team-switcher"
                className="px-2 text-[11px] font-medium tracking-wider text-zinc-500 uppercase"
              >
                Team
              </label>
              <select
                id="team-switcher"
                value={team.slug}
                onChange={(e) =>
                  router.push(e.target.value === "+new" ? "/teams/new" : `/t/${e.target.value}/runs`)
                }
                className="mt-1 block w-full rounded-md border-0 bg-zinc-900 px-2.5 py-1.5 text-sm text-white ring-1 ring-zinc-800 ring-inset focus:ring-2 focus:ring-indigo-500"
              >
                {teams.map((t) => (
                  <option key={t.slug} value={t.slug}>
                    {t.name}
                  </option>
                ))}
                <option value="+new">+ New team…</option>
              </select>
              <p className="mt-1 px-2 text-xs text-zinc-500">
                You are {ROLE_LABELS[team.role].toLowerCase()}
              </p>
            </div>
            <nav className="mt-5 flex-1 space-y-0.5 px-3" aria-label="Main">
              {nav.map((item) => {
                const href = `/t/${team.slug}${item.path}`;
                const active = isActive(pathname, href, item.path);
                return (
                  <Link
                    key={item.path}
                    href={href}
                    aria-current={active ? "page" : undefined}
                    className={cn(
                      "flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm font-medium transition-colors",
                      active ? "bg-zinc-800 text-white" : "text-zinc-400 hover:bg-zinc-900 hover:text-white",
                    )}
                  >
                    <svg
                      viewBox="0 0 20 20"
                      fill="none"
                      stroke="currentColor"
                      strokeWidth={1.6}
                      className="size-4"
                      aria-hidden="true"
                    >
                      <path d={item.icon} strokeLinecap="round" strokeLinejoin="round" />
                    </svg>
                    {item.label}
                  </Link>
                );
              })}
            </nav>
            <div className="border-t border-zinc-800 px-4 py-4">
              <div className="truncate text-sm font-medium text-white">{user.name}</div>
              <div className="truncate text-xs text-zinc-500">{user.email}</div>
              <button type="button" onClick={signOut} className="mt-2 text-xs text-zinc-400 hover:text-white">
                Sign out
              </button>
            </div>
          </div>
        </aside>
        <main className="min-w-0 flex-1 px-4 py-5 md:px-6 md:py-6">{children}</main>
      </div>
    </TeamProvider>
  );
}
