-- Terms brought to the current law and to Chiba's usage (docs/japanese.md lists each with its
-- reason).

-- Chiba's 保健所 are 健康福祉センター; the municipal 保健センター is beside them in one kind.
UPDATE agency_kinds SET name = '保健センター・健康福祉センター（保健所）' WHERE name = '保健センター・保健所';
-- 就学相談 and 就学先の決定 are the 教育委員会's.
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('教育委員会', 'education', 17);

-- 医療型児童発達支援 was folded into 児童発達支援 in April 2024 (改正児童福祉法).
INSERT INTO agency_services (agency_id, name)
    SELECT agency_id, '児童発達支援' FROM agency_services s WHERE s.name = '医療型児童発達支援'
    AND NOT EXISTS (SELECT 1 FROM agency_services t WHERE t.agency_id = s.agency_id AND t.name = '児童発達支援');
DELETE FROM agency_services WHERE name = '医療型児童発達支援';

-- 入園 (保育所・幼稚園・認定こども園) as a transition: 保育所 applications close in the autumn.
INSERT INTO transition_template_items (kind, title, owner, month_offset, day, sort_order) VALUES
    ('nursery', '入園先の見学・相談（保育所・幼稚園・こども園）', '保護者・コーディネーター', -7, 30, 1),
    ('nursery', '入所の申込み（保育所・こども園は市町村へ）・幼稚園の願書', '保護者・市町村', -5, 30, 2),
    ('nursery', '入園先との事前の情報共有（加配・配慮の相談）', 'コーディネーター', -2, 15, 3),
    ('nursery', '引継ぎシートの作成と保護者の確認', 'コーディネーター', -1, 15, 4),
    ('nursery', '入園後のフォローアップ（保育所等訪問支援・巡回相談）', 'コーディネーター', 1, 31, 5);

-- After graduation: 障害支援区分 for adult services, and the 計画相談 that writes their plan.
UPDATE transition_template_items SET sort_order = sort_order + 2
    WHERE kind = 'after_graduation' AND sort_order >= 3;
INSERT INTO transition_template_items (kind, title, owner, month_offset, day, sort_order) VALUES
    ('after_graduation', '障害支援区分の認定の申請（市町村）', '保護者・市町村', -4, 30, 3),
    ('after_graduation', '計画相談の依頼（相談支援事業所・サービス等利用計画）', '保護者・相談支援事業所', -3, 31, 4);
