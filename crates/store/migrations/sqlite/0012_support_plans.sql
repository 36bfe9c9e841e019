-- Support plans (支援計画): versions of a child's plan, each with short-term goals saying who
-- does what by when; a plan review (モニタリング) records progress on each goal of the current
-- version and produces the next one. Every version is kept; only the current one is edited.
CREATE TABLE support_plans (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    version INTEGER NOT NULL,
    situation TEXT,
    needs TEXT,
    wishes TEXT,
    long_term_goal TEXT,
    review_on TEXT NOT NULL,
    current INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (child_id, version)
);
-- One current version per child, whatever two coordinators do at once.
CREATE UNIQUE INDEX support_plans_current ON support_plans (child_id) WHERE current = 1;
-- The home page's "reviews due" card.
CREATE INDEX support_plans_review_due ON support_plans (review_on) WHERE current = 1;

CREATE TABLE plan_goals (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES support_plans (id),
    position INTEGER NOT NULL,
    goal TEXT NOT NULL,
    who TEXT,
    what TEXT,
    by_on TEXT
);
CREATE INDEX plan_goals_plan ON plan_goals (plan_id, position);

CREATE TABLE plan_reviews (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL UNIQUE REFERENCES support_plans (id),
    child_id INTEGER NOT NULL REFERENCES children (id),
    reviewed_on TEXT NOT NULL,
    summary TEXT,
    next_plan_id INTEGER NOT NULL REFERENCES support_plans (id),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX plan_reviews_child ON plan_reviews (child_id);

CREATE TABLE plan_review_progress (
    review_id INTEGER NOT NULL REFERENCES plan_reviews (id),
    goal_id INTEGER NOT NULL REFERENCES plan_goals (id),
    rating TEXT CHECK (rating IN ('achieved', 'partly', 'not_yet')),
    progress TEXT,
    PRIMARY KEY (review_id, goal_id)
);
