//! The area's network picture (関係機関のネットワーク): agencies as nodes, links weighted by the
//! children two agencies share and the referrals (つなぎ) between them in a period, and what
//! stands out — agencies with no link, and sectors with no link to any child's nursery or school.

use std::collections::{BTreeMap, BTreeSet};

use crate::{directory::Sector, AgencyId};

/// An agency in the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub agency: AgencyId,
    pub sector: Sector,
    /// Children it works with in the period.
    pub children: usize,
    /// Agencies it is linked to.
    pub degree: usize,
    /// Some child's nursery or school now.
    pub school: bool,
}

/// Two agencies working together; `a < b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub a: AgencyId,
    pub b: AgencyId,
    /// Children both work with in the period.
    pub shared_children: usize,
    /// Referrals to one of them for a child the other works with.
    pub referrals: usize,
}

impl Link {
    pub fn weight(&self) -> usize {
        self.shared_children + self.referrals
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    /// By sector, then agency id.
    pub nodes: Vec<Node>,
    /// Heaviest first, then by the pair.
    pub links: Vec<Link>,
    /// Nodes without a link.
    pub isolated: Vec<AgencyId>,
    /// Sectors present in the picture none of whose agencies is linked to a child's nursery or
    /// school (another than itself).
    pub unlinked_sectors: Vec<Sector>,
}

/// What a child-agency pair or a referral says, in the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Involvement {
    pub child: i64,
    pub agency: AgencyId,
}

/// Builds the picture. `agencies` are the nodes with their sectors (the area's agencies and any
/// other agency involved); `involvements` are who works with which child in the period (care
/// team, the child's nursery or school, live referrals); `referrals` are the referrals sent in the
/// period (also involvements); `schools` are the agencies that are some child's nursery or school.
pub fn build(
    agencies: &[(AgencyId, Sector)],
    involvements: &[Involvement],
    referrals: &[Involvement],
    schools: &[AgencyId],
) -> Network {
    let mut by_child: BTreeMap<i64, BTreeSet<AgencyId>> = BTreeMap::new();
    for i in involvements.iter().chain(referrals) {
        by_child.entry(i.child).or_default().insert(i.agency);
    }
    let mut links: BTreeMap<(AgencyId, AgencyId), Link> = BTreeMap::new();
    for set in by_child.values() {
        let list: Vec<AgencyId> = set.iter().copied().collect();
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                link(&mut links, *a, *b).shared_children += 1;
            }
        }
    }
    for r in referrals {
        for other in by_child[&r.child].iter().filter(|a| **a != r.agency) {
            link(&mut links, *other, r.agency).referrals += 1;
        }
    }

    let sectors: BTreeMap<AgencyId, Sector> = agencies.iter().copied().collect();
    let mut ids: BTreeSet<AgencyId> = sectors.keys().copied().collect();
    ids.extend(by_child.values().flatten());
    let schools: BTreeSet<AgencyId> = schools.iter().copied().collect();
    let mut nodes: Vec<Node> = ids
        .into_iter()
        .map(|agency| Node {
            agency,
            sector: sectors.get(&agency).copied().unwrap_or(Sector::Other),
            children: by_child.values().filter(|s| s.contains(&agency)).count(),
            degree: links
                .keys()
                .filter(|(a, b)| *a == agency || *b == agency)
                .count(),
            school: schools.contains(&agency),
        })
        .collect();
    nodes.sort_by_key(|n| (sector_order(n.sector), n.agency));

    let sector_of = |a: AgencyId| sectors.get(&a).copied().unwrap_or(Sector::Other);
    let mut unlinked_sectors = Vec::new();
    if nodes.iter().any(|n| n.school) {
        for s in Sector::ALL {
            let present = nodes.iter().any(|n| n.sector == s);
            let linked = links.keys().any(|(a, b)| {
                (schools.contains(a) && sector_of(*b) == s)
                    || (schools.contains(b) && sector_of(*a) == s)
            });
            if present && !linked {
                unlinked_sectors.push(s);
            }
        }
    }

    let mut links: Vec<Link> = links.into_values().collect();
    links.sort_by(|x, y| {
        y.weight()
            .cmp(&x.weight())
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    Network {
        isolated: nodes
            .iter()
            .filter(|n| n.degree == 0)
            .map(|n| n.agency)
            .collect(),
        nodes,
        links,
        unlinked_sectors,
    }
}

fn link(links: &mut BTreeMap<(AgencyId, AgencyId), Link>, x: AgencyId, y: AgencyId) -> &mut Link {
    let (a, b) = if x < y { (x, y) } else { (y, x) };
    links.entry((a, b)).or_insert(Link {
        a,
        b,
        shared_children: 0,
        referrals: 0,
    })
}

fn sector_order(s: Sector) -> usize {
    Sector::ALL
        .iter()
        .position(|x| *x == s)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inv(child: i64, agency: i64) -> Involvement {
        Involvement {
            child,
            agency: AgencyId(agency),
        }
    }

    /// Nursery 1 (welfare) and school 2 (education) are children's nurseries and schools; clinic
    /// 3 (medical), health centre 4 (health), day service 5 (welfare), job centre 6 (employment).
    ///   child 10: nursery 1, clinic 3, health centre 4
    ///   child 11: nursery 1, clinic 3, referred to day service 5
    ///   child 12: school 2, referred to day service 5
    ///   job centre 6 works with no child.
    #[test]
    fn a_small_area_gives_the_hand_computed_graph() {
        let agencies = [
            (AgencyId(1), Sector::Welfare),
            (AgencyId(2), Sector::Education),
            (AgencyId(3), Sector::Medical),
            (AgencyId(4), Sector::Health),
            (AgencyId(5), Sector::Welfare),
            (AgencyId(6), Sector::Employment),
        ];
        let involvements = [
            inv(10, 1),
            inv(10, 3),
            inv(10, 4),
            inv(11, 1),
            inv(11, 3),
            inv(12, 2),
        ];
        let referrals = [inv(11, 5), inv(12, 5)];
        let n = build(
            &agencies,
            &involvements,
            &referrals,
            &[AgencyId(1), AgencyId(2)],
        );
        let pairs: Vec<(i64, i64, usize, usize)> = n
            .links
            .iter()
            .map(|l| (l.a.0, l.b.0, l.shared_children, l.referrals))
            .collect();
        // 1–3: children 10 and 11 (2). 1–5: child 11 shared (1) and its referral (1). 3–5 the
        // same. 2–5: child 12 shared and referred. 1–4 and 3–4: child 10.
        assert_eq!(
            pairs,
            vec![
                (1, 3, 2, 0),
                (1, 5, 1, 1),
                (2, 5, 1, 1),
                (3, 5, 1, 1),
                (1, 4, 1, 0),
                (3, 4, 1, 0),
            ]
        );
        assert_eq!(n.isolated, vec![AgencyId(6)]);
        // No education agency is linked to another nursery or school (school 2 and nursery 1
        // share no child), and the job centre to none; health, medical and welfare are.
        assert_eq!(
            n.unlinked_sectors,
            vec![Sector::Education, Sector::Employment]
        );
        let node = |id: i64| n.nodes.iter().find(|x| x.agency.0 == id).unwrap().clone();
        assert_eq!(
            (node(1).children, node(1).degree, node(1).school),
            (2, 3, true)
        );
        assert_eq!((node(5).children, node(5).degree), (2, 3));
        assert_eq!((node(6).children, node(6).degree), (0, 0));
        // Nodes come by sector in the order of Sector::ALL.
        let order: Vec<i64> = n.nodes.iter().map(|x| x.agency.0).collect();
        assert_eq!(order, vec![4, 3, 1, 5, 2, 6]);
    }

    #[test]
    fn an_agency_outside_the_list_still_appears_and_no_school_means_no_sector_warning() {
        let n = build(
            &[(AgencyId(1), Sector::Health)],
            &[inv(1, 1), inv(1, 9)],
            &[],
            &[],
        );
        assert_eq!(n.nodes.len(), 2);
        assert_eq!(n.nodes[1].sector, Sector::Other);
        assert!(n.unlinked_sectors.is_empty());
        assert!(n.isolated.is_empty());
    }

    proptest! {
        /// Every pair of agencies sharing a child is linked, every link is between distinct
        /// agencies in the picture, and degree counts exactly the links at a node.
        #[test]
        fn links_and_degrees_agree(pairs in proptest::collection::vec((0i64..6, 1i64..8), 0..40),
                                   refs in proptest::collection::vec((0i64..6, 1i64..8), 0..10)) {
            let inv_: Vec<Involvement> = pairs.iter().map(|(c, a)| inv(*c, *a)).collect();
            let ref_: Vec<Involvement> = refs.iter().map(|(c, a)| inv(*c, *a)).collect();
            let n = build(&[], &inv_, &ref_, &[]);
            for l in &n.links {
                prop_assert!(l.a < l.b);
                prop_assert!(l.weight() > 0);
                prop_assert!(l.shared_children > 0, "a referral link also shares the child");
            }
            for node in &n.nodes {
                let d = n.links.iter().filter(|l| l.a == node.agency || l.b == node.agency).count();
                prop_assert_eq!(node.degree, d);
                prop_assert_eq!(node.degree == 0, n.isolated.contains(&node.agency));
            }
            // A referral counts once for every other agency working with its child.
            let mut agencies_of: BTreeMap<i64, BTreeSet<AgencyId>> = BTreeMap::new();
            for i in inv_.iter().chain(&ref_) {
                agencies_of.entry(i.child).or_default().insert(i.agency);
            }
            let expected: usize = ref_.iter().map(|r| agencies_of[&r.child].len() - 1).sum();
            let total_refs: usize = n.links.iter().map(|l| l.referrals).sum();
            prop_assert_eq!(total_refs, expected);
        }
    }
}
