//! Reach statistics through the API, on SQLite and PostgreSQL: figures right on a small seeded
//! population, small counts suppressed, small and hidden countries pooled, CSV and SVG, bad
//! input answered 400, and an event counted as soon as it is recorded; the live index holds the
//! same counts as the tables, after its load and after changes written by another server.

use academy_identity::{Role, account, entity::user};
use academy_progress::entity::{course_progress, progress_event};
use academy_testing::{TestDb, storage_test};
use chrono::{DateTime, TimeZone, Utc};
use poem::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::{Value, json};

use crate::{helpers::TestApp, identity_support::Person, progress::COURSE};

/// Who is seeded: country, gender, how many, whether they completed the course.
const POPULATION: &[(&str, &str, usize, bool)] = &[
    ("KE", "woman", 8, true),
    ("KE", "man", 4, false),
    ("BR", "woman", 7, false),
    ("FR", "non_binary", 2, false),
    ("BY", "prefer_not_to_say", 6, false),
];

fn in_2025(month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, 10, 12, 0, 0).unwrap()
}

/// Seeds [`POPULATION`]: each person opens a lesson of the course in March 2025; of the KE
/// women, 6 complete it in April (and 2 open a lesson again in May).
async fn seed(app: &TestApp) {
    let db = &app.db.db;
    let course = app
        .academy
        .state
        .catalog()
        .readable(COURSE, &academy_courses::catalog::Reader::Organiser)
        .unwrap()
        .id;
    let mut n = 0;
    for &(country, gender, count, completes) in POPULATION {
        for i in 0..count {
            n += 1;
            let person = account::create(db, Some(&format!("p{n}")), &[])
                .await
                .unwrap();
            user::Entity::update_many()
                .col_expr(user::Column::Country, Expr::value(country))
                .col_expr(user::Column::Gender, Expr::value(gender))
                .filter(user::Column::Id.eq(person.id))
                .exec(db)
                .await
                .unwrap();
            let mut events = vec![in_2025(3)];
            let completed = completes && i < 6;
            if completed {
                events.push(in_2025(4));
            }
            if completes && i >= 6 {
                events.push(in_2025(5));
            }
            for at in &events {
                progress_event::ActiveModel {
                    user_id: Set(person.id),
                    event_id: Set(uuid::Uuid::new_v4().to_string()),
                    course_id: Set(course),
                    item_kind: Set("lesson".to_owned()),
                    item_slug: Set("what-is-the-upr".to_owned()),
                    verb: Set("experienced".to_owned()),
                    score: Set(None),
                    occurred_at: Set(*at),
                    recorded_at: Set(*at),
                    ..Default::default()
                }
                .insert(db)
                .await
                .unwrap();
            }
            course_progress::ActiveModel {
                user_id: Set(person.id),
                course_id: Set(course),
                started_at: Set(in_2025(3)),
                last_activity_at: Set(*events.last().unwrap()),
                completed_at: Set(completed.then(|| in_2025(4))),
            }
            .insert(db)
            .await
            .unwrap();
        }
    }
}

async fn staff_app(db: TestDb) -> (TestApp, Person) {
    let app = TestApp::configured(db, |config| {
        config.content_dir = crate::helpers::shipped_courses();
        config.stats_hidden_countries = "BY".to_owned();
    })
    .await;
    let staff = app.person("Staff", &[Role::Staff]).await;
    (app, staff)
}

async fn json_of(app: &TestApp, who: &Person, uri: &str) -> Value {
    let reply = who.get(app, uri).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// The line `key` of a report's first table, as `{column: entry}`.
fn line(report: &Value, key: &str) -> Value {
    let table = &report["tables"][0];
    let columns = table["columns"].as_array().unwrap();
    let found = table["lines"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&table["totals"]))
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no line {key} in {table}"));
    let mut out = serde_json::Map::new();
    for (c, v) in columns.iter().zip(found["cells"].as_array().unwrap()) {
        out.insert(c.as_str().unwrap().to_owned(), v.clone());
    }
    Value::Object(out)
}

/// Every entry published anywhere in `report`: no count of 1 to 4, every count a multiple
/// of 5.
fn assert_disclosure_holds(report: &Value) {
    fn walk(v: &Value, cells: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "cells" || k == "total" {
                        if let Value::Array(a) = v {
                            cells.extend(a.iter().filter_map(|c| c.as_str().map(str::to_owned)));
                        } else if let Some(s) = v.as_str() {
                            cells.push(s.to_owned());
                        }
                    }
                    walk(v, cells);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, cells)),
            _ => {}
        }
    }
    let mut cells = Vec::new();
    walk(report, &mut cells);
    for key in ["people_reached", "defenders_trained", "course_completions"] {
        if let Some(total) = report[key].as_str() {
            cells.push(total.to_owned());
        }
    }
    assert!(!cells.is_empty());
    for cell in cells {
        if let Ok(n) = cell.parse::<u64>() {
            assert!(
                n % 5 == 0 && !(1..5).contains(&n),
                "{cell} published in {report}"
            );
        } else {
            assert!(cell == "<5" || cell == "x", "{cell} in {report}");
        }
    }
}

storage_test!(
    stats_reach_by_country_rounds_suppresses_and_pools_small_and_hidden_countries,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, staff) = staff_app(db).await;
        seed(&app).await;
        let report = json_of(&app, &staff, "/api/stats/reach?from=2025-01-01&to=2025-12-31&by=country").await;
        // 27 people reached, 6 trained, 6 completions, 4 countries.
        assert_eq!(report["people_reached"], "25");
        assert_eq!(report["defenders_trained"], "5");
        assert_eq!(report["course_completions"], "5");
        assert_eq!(report["countries_reached"], 4);
        assert_eq!(report["threshold"], 5);
        assert_eq!(line(&report, "KE")["people_reached"], "10");
        assert_eq!(line(&report, "BR")["people_reached"], "5");
        // FR (2 people) and BY (hidden, 6 people) only in the pool.
        assert_eq!(line(&report, "other_countries")["people_reached"], "10");
        let keys: Vec<&str> = report["tables"][0]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["BR", "KE", "other_countries"]);
        assert!(!report.to_string().contains("\"BY\"") && !report.to_string().contains("\"FR\""));
        // Only KE trained anyone: the zeros beside it would tell, so only the total shows.
        assert_eq!(line(&report, "KE")["defenders_trained"], "x");
        assert_eq!(line(&report, "total")["defenders_trained"], "5");
        assert_disclosure_holds(&report);
    }
);

storage_test!(
    stats_reach_by_gender_shows_small_counts_as_fewer_than_five_never_the_number,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, staff) = staff_app(db).await;
        seed(&app).await;
        let report = json_of(&app, &staff, "/api/stats/reach?from=2025-01-01&to=2025-12-31&by=gender").await;
        assert_eq!(line(&report, "woman")["people_reached"], "15");
        assert_eq!(line(&report, "man")["people_reached"], "<5");
        assert_eq!(line(&report, "non_binary")["people_reached"], "<5");
        assert_eq!(line(&report, "another")["people_reached"], "0");
        assert_eq!(line(&report, "prefer_not_to_say")["people_reached"], "5");
        assert_disclosure_holds(&report);

        for by in ["month", "region", "organisation_type", "course", "mechanism", "language", "country_year", "gender_year"] {
            let report = json_of(&app, &staff, &format!("/api/stats/reach?from=2024-06-01&to=2025-12-31&by={by}")).await;
            assert_eq!(report["people_reached"], "25", "{by}");
            assert_disclosure_holds(&report);
        }
        let months = json_of(&app, &staff, "/api/stats/reach?from=2025-01-01&to=2025-12-31&by=month").await;
        assert_eq!(months["tables"][0]["lines"].as_array().unwrap().len(), 12);
        assert_eq!(line(&months, "2025-03")["people_reached"], "25");
        let years = json_of(&app, &staff, "/api/stats/reach?from=2024-06-01&to=2025-12-31&by=country_year").await;
        assert_eq!(years["tables"].as_array().unwrap().len(), 3);
        assert_eq!(years["tables"][0]["columns"], json!(["2024", "2025"]));
        let regions = json_of(&app, &staff, "/api/stats/reach?from=2025-01-01&to=2025-12-31&by=region").await;
        // KE 12 → africa; BR 7 → americas; FR 2 and BY 6 → europe.
        assert_eq!(line(&regions, "africa")["people_reached"], "10");
        assert_eq!(line(&regions, "europe")["people_reached"], "10");
    }
);

storage_test!(
    stats_reports_are_served_as_csv_and_svg,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, staff) = staff_app(db).await;
        seed(&app).await;
        let csv = staff.get(&app, "/api/stats/reach?from=2025-01-01&to=2025-12-31&by=gender&format=csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let text = String::from_utf8(csv.body.clone()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("gender,people_reached,defenders_trained,course_completions,trained_percent")
        );
        assert!(text.contains("\nman,<5,"), "{text}");
        assert!(text.contains("\ntotal,25,5,5,20\n"), "{text}");
        let svg = staff.get(&app, "/api/stats/reach?from=2025-01-01&to=2025-12-31&format=svg").await;
        assert_eq!(svg.status, StatusCode::OK);
        assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
        let text = String::from_utf8(svg.body.clone()).unwrap();
        assert!(text.starts_with("<svg") && text.contains("other_countries"), "{text}");
        assert!(!text.contains(">BY<"));
        for uri in ["/api/stats/courses?format=csv", "/api/stats/courses?format=svg"] {
            assert_eq!(staff.get(&app, uri).await.status, StatusCode::OK, "{uri}");
        }
        let courses = json_of(&app, &staff, "/api/stats/courses").await;
        let keys: Vec<&str> = courses["courses"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains(&COURSE), "{courses}");
        assert_eq!(courses["courses"]["columns"], json!(["enrolled", "active_this_month", "completed"]));
        assert_eq!(courses["courses"]["percents"], json!(["median_progress_percent"]));
        assert_disclosure_holds(&courses);
    }
);

storage_test!(
    stats_bad_input_is_400_and_only_staff_and_admins_read_them,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, staff) = staff_app(db).await;
        for (uri, code) in [
            ("/api/stats/reach?by=planet", None),
            ("/api/stats/reach?format=pdf", None),
            ("/api/stats/courses?format=pdf", None),
            ("/api/stats/reach?from=2026-02-01&to=2026-01-01", Some("period_reversed")),
            ("/api/stats/reach?from=2010-01-01&to=2020-01-01", Some("period_too_long")),
            ("/api/stats/reach?from=2025-02-30", Some("invalid_date")),
        ] {
            let reply = staff.get(&app, uri).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
            let got = reply.error_code();
            if let Some(code) = code {
                assert_eq!(got, code, "{uri}");
            }
        }
        let missing = staff.get(&app, "/api/stats/programmes/no-such-edition").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.error_code(), "programme_not_found");
        let ten_years = staff.get(&app, "/api/stats/reach?from=2016-01-01&to=2025-12-31").await;
        assert_eq!(ten_years.status, StatusCode::OK);

        let learner = app.person("Learner", &[]).await;
        let trainer = app.person("Trainer", &[Role::Trainer]).await;
        let admin = app.person("Admin", &[Role::Admin]).await;
        for uri in ["/api/stats/reach", "/api/stats/courses", "/api/stats/programmes/x"] {
            assert_eq!(app.get(uri).await.status, StatusCode::UNAUTHORIZED, "{uri}");
            for who in [&learner, &trainer] {
                let reply = who.get(&app, uri).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
                assert_eq!(reply.error_code(), "role_required");
            }
        }
        assert_eq!(admin.get(&app, "/api/stats/reach").await.status, StatusCode::OK);
    }
);

storage_test!(
    stats_count_a_progress_event_as_soon_as_it_is_recorded,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, staff) = staff_app(db).await;
        let before = json_of(&app, &staff, "/api/stats/reach").await;
        assert_eq!(before["people_reached"], "0");
        let learner = app.person("Learner", &[]).await;
        crate::progress::complete(&app, &learner, "what-is-the-upr").await;
        let after = json_of(&app, &staff, "/api/stats/reach").await;
        assert_eq!(after["people_reached"], "<5");
        let courses = json_of(&app, &staff, "/api/stats/courses").await;
        let upr = courses["courses"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["key"] == COURSE)
            .unwrap();
        assert_eq!(upr["cells"][1], "<5", "{courses}");
    }
);

storage_test!(
    stats_programme_report_counts_applications_by_region_with_the_configured_threshold,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let app = TestApp::configured(db, |config| {
            config.content_dir = crate::helpers::shipped_courses();
            config.stats_min_cell = 10;
        })
        .await;
        let staff = app.person("Staff", &[Role::Staff]).await;
        let owner = app.person("Owner", &[Role::Trainer]).await;
        let created = owner
            .send(
                &app,
                Method::POST,
                "/api/programmes",
                Some(crate::programmes::edition("stats-2027", 2, 5, &[])),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let applicant = app.person("Applicant", &[]).await;
        crate::programmes::apply(&app, &applicant, "stats-2027", None).await;
        let report = json_of(&app, &staff, "/api/stats/programmes/stats-2027").await;
        assert_eq!(report["applications"], "<10");
        assert_eq!(report["participants"], "0");
        assert_eq!(report["threshold"], 10);
        assert_eq!(report["by_region"]["lines_are"], "region");
        let csv = staff.get(&app, "/api/stats/programmes/stats-2027?format=csv").await;
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(String::from_utf8_lossy(&csv.body).starts_with("region,applications,participants,distance_course_completions"));
    }
);

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
    /// A time between 2023-06-01 and now.
    fn time(&mut self) -> DateTime<Utc> {
        let start = Utc
            .with_ymd_and_hms(2023, 6, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let span = (Utc::now().timestamp() - start) as u64;
        Utc.timestamp_opt(start + (self.next() % span) as i64, 0)
            .unwrap()
    }
}

/// What a generated person did in a course.
struct Activity {
    events: Vec<(DateTime<Utc>, Option<String>)>,
    completed: Option<DateTime<Utc>>,
    enrolled: bool,
}

/// Writes `people` generated people straight into the tables, as any server would leave them:
/// profiles, learning events (some completing a lesson), lesson and course rows, enrolments.
async fn generate(db: &sea_orm::DatabaseConnection, draw: &mut Draw, people: usize) -> Vec<i32> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let mut lessons: std::collections::BTreeMap<i32, Vec<String>> = Default::default();
    for row in db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT course_id, slug FROM lessons WHERE retired = false",
        ))
        .await
        .unwrap()
    {
        let course: i32 = row.try_get_by_index(0).unwrap();
        lessons
            .entry(course)
            .or_default()
            .push(row.try_get_by_index(1).unwrap());
    }
    let courses: Vec<i32> = lessons.keys().copied().collect();
    let countries = [
        Some("KE"),
        Some("KE"),
        Some("KE"),
        Some("BR"),
        Some("BR"),
        Some("FR"),
        Some("BY"),
        Some("prefer_not_to_say"),
        None,
    ];
    let genders = [
        Some("woman"),
        Some("woman"),
        Some("man"),
        Some("non_binary"),
        Some("prefer_not_to_say"),
        None,
    ];
    let organisations = [Some("ngo"), Some("academic"), Some("media"), None];
    let languages = [Some("en"), Some("fr"), Some("es-419"), None];
    let mut ids = Vec::new();
    for n in 0..people {
        let person = account::create(db, Some(&format!("g{n}")), &[])
            .await
            .unwrap();
        ids.push(person.id);
        user::Entity::update_many()
            .col_expr(user::Column::Country, Expr::value(*draw.pick(&countries)))
            .col_expr(user::Column::Gender, Expr::value(*draw.pick(&genders)))
            .col_expr(
                user::Column::OrganisationType,
                Expr::value(*draw.pick(&organisations)),
            )
            .col_expr(user::Column::Language, Expr::value(*draw.pick(&languages)))
            .filter(user::Column::Id.eq(person.id))
            .exec(db)
            .await
            .unwrap();
        for _ in 0..draw.below(4) {
            let course = *draw.pick(&courses);
            let slugs = &lessons[&course];
            let mut activity = Activity {
                events: Vec::new(),
                completed: None,
                enrolled: draw.below(5) > 0,
            };
            for _ in 0..1 + draw.below(5) {
                let done = (draw.below(3) == 0).then(|| draw.pick(slugs).clone());
                activity.events.push((draw.time(), done));
            }
            if draw.below(3) == 0 {
                activity.completed = Some(draw.time());
            }
            record(db, person.id, course, &activity).await;
        }
    }
    ids
}

/// Writes one person's `activity` in `course` (adding to what is there).
async fn record(db: &sea_orm::DatabaseConnection, person: i32, course: i32, activity: &Activity) {
    use academy_enrollment::entity::enrolment;
    use academy_progress::entity::lesson_progress;
    use sea_orm::sea_query::OnConflict;
    for (at, done) in &activity.events {
        progress_event::ActiveModel {
            user_id: Set(person),
            event_id: Set(uuid::Uuid::new_v4().to_string()),
            course_id: Set(course),
            item_kind: Set("lesson".to_owned()),
            item_slug: Set(done.clone().unwrap_or_else(|| "what-is-the-upr".to_owned())),
            verb: Set(if done.is_some() {
                "completed"
            } else {
                "experienced"
            }
            .to_owned()),
            score: Set(None),
            occurred_at: Set(*at),
            recorded_at: Set(*at),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        if let Some(slug) = done {
            lesson_progress::Entity::insert(lesson_progress::ActiveModel {
                user_id: Set(person),
                course_id: Set(course),
                lesson_slug: Set(slug.clone()),
                opened_at: Set(*at),
                completed_at: Set(Some(*at)),
            })
            .on_conflict(
                OnConflict::columns([
                    lesson_progress::Column::UserId,
                    lesson_progress::Column::CourseId,
                    lesson_progress::Column::LessonSlug,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .unwrap();
        }
    }
    let first = activity.events.iter().map(|e| e.0).min().unwrap();
    course_progress::Entity::insert(course_progress::ActiveModel {
        user_id: Set(person),
        course_id: Set(course),
        started_at: Set(first),
        last_activity_at: Set(first),
        completed_at: Set(activity.completed),
    })
    .on_conflict(
        OnConflict::columns([
            course_progress::Column::UserId,
            course_progress::Column::CourseId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .unwrap();
    enrolment::Entity::insert(enrolment::ActiveModel {
        user_id: Set(person),
        course_id: Set(course),
        source: Set("self".to_owned()),
        status: Set(if activity.enrolled { "active" } else { "left" }.to_owned()),
        enrolled_at: Set(first),
        left_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([enrolment::Column::UserId, enrolment::Column::CourseId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .unwrap();
}

/// Every count behind every report, from the tables and from `live`, must be the same.
async fn assert_live_counts_as_the_tables(
    db: &sea_orm::DatabaseConnection,
    live: &academy_stats::Live,
    when: &str,
) {
    use academy_stats::{Dimension, Period, Reader};
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let periods = [
        Period::year(2025).unwrap(),
        Period::this_year(Utc::now()),
        Period::new(day(2023, 1, 1), day(2026, 12, 31)).unwrap(),
        Period::new(day(2024, 2, 14), day(2024, 3, 2)).unwrap(),
        Period::new(day(2025, 5, 3), day(2025, 5, 31)).unwrap(),
        // Reaching before the months the index holds in bits: counted from its days.
        Period::new(day(2015, 6, 1), day(2024, 6, 30)).unwrap(),
    ];
    for period in periods {
        for by in Dimension::ALL {
            let tables = academy_stats::reach::unpublished_counts(Reader::Tables(db), period, by)
                .await
                .unwrap();
            let counted =
                academy_stats::reach::unpublished_counts(Reader::Live(db, live), period, by)
                    .await
                    .unwrap();
            assert!(
                tables.0.iter().any(|m| !m.is_empty()),
                "{when}: nothing counted in {period:?} by {by:?}"
            );
            assert_eq!(tables, counted, "{when}: {period:?} by {by:?}");
        }
    }
    let now = Utc::now();
    let (columns, medians) =
        academy_stats::courses::unpublished_course_counts(Reader::Tables(db), now)
            .await
            .unwrap();
    let (live_columns, live_medians) =
        academy_stats::courses::unpublished_course_counts(Reader::Live(db, live), now)
            .await
            .unwrap();
    assert_eq!(columns, live_columns, "{when}: the course counts");
    let some = |m: std::collections::BTreeMap<String, Option<u64>>| {
        m.into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect::<Vec<_>>()
    };
    let medians = some(medians);
    assert!(!medians.is_empty(), "{when}: no median published");
    assert_eq!(medians, some(live_medians), "{when}: the medians");
}

storage_test!(
    stats_live_index_counts_what_the_tables_count_and_follows_changes_made_by_any_server,
    with crate::helpers::shipped_db,
    |db: TestDb| async move {
        let (app, _staff) = staff_app(db).await;
        let db = app.db.db.clone();
        let mut draw = Draw(0x5eed_1e55_ba5e_ba11);
        let people = generate(&db, &mut draw, 160).await;
        // An index of its own: the server's is refreshed by its own task.
        let live = academy_stats::Live::new();
        assert!(!live.is_ready());
        let loaded = live.refresh(&db).await.unwrap();
        assert!(loaded.loaded && loaded.people > 100, "{loaded:?}");
        assert!(live.is_ready());
        assert_live_counts_as_the_tables(&db, &live, "after the load").await;

        // Changes written to the tables as another server would: the index follows them all.
        let newcomers = generate(&db, &mut draw, 12).await;
        for (n, person) in people.iter().take(40).enumerate() {
            let course: i32 = course_progress::Entity::find()
                .filter(course_progress::Column::UserId.eq(*person))
                .one(&db)
                .await
                .unwrap()
                .map_or(1, |c| c.course_id);
            let activity = Activity {
                events: vec![(draw.time(), None), (Utc::now(), Some("what-is-the-upr".to_owned()))],
                completed: None,
                enrolled: true,
            };
            record(&db, *person, course, &activity).await;
            match n % 4 {
                // A profile value changed.
                0 => {
                    user::Entity::update_many()
                        .col_expr(user::Column::Country, Expr::value("NG"))
                        .filter(user::Column::Id.eq(*person))
                        .exec(&db)
                        .await
                        .unwrap();
                }
                // A course completed now.
                1 => {
                    course_progress::Entity::update_many()
                        .col_expr(course_progress::Column::CompletedAt, Expr::value(Utc::now()))
                        .filter(course_progress::Column::UserId.eq(*person))
                        .filter(course_progress::Column::CompletedAt.is_null())
                        .exec(&db)
                        .await
                        .unwrap();
                }
                // An enrolment left.
                2 => {
                    academy_enrollment::entity::enrolment::Entity::update_many()
                        .col_expr(
                            academy_enrollment::entity::enrolment::Column::Status,
                            Expr::value("left"),
                        )
                        .filter(academy_enrollment::entity::enrolment::Column::UserId.eq(*person))
                        .exec(&db)
                        .await
                        .unwrap();
                }
                // The account erased.
                _ => {
                    academy::privacy::erase(&db, &app.academy.state.enrollment, *person)
                        .await
                        .unwrap();
                }
            }
        }
        assert!(!newcomers.is_empty());
        assert_live_counts_as_the_tables(&db, &live, "after the changes").await;
        let caught = live.catch_up(&db).await.unwrap();
        assert!(!caught.loaded);
    }
);
