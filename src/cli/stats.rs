//! `academy stats`: the reach report on the command line, by the same code and disclosure
//! rules as `GET /api/stats/reach` (no per-person output, nothing below the threshold).

use std::process::ExitCode;

use academy_stats::{Dimension, Period};
use clap::{Subcommand, ValueEnum};

use crate::{Config, app::open_database};

#[derive(Subcommand)]
pub enum StatsCommand {
    /// People reached, defenders trained, course completions and countries reached in a
    /// calendar year, broken down by one dimension.
    Reach {
        /// The calendar year (default: this year).
        #[arg(long)]
        year: Option<i32>,
        /// month, country, region, gender, organisation_type, course, mechanism, language,
        /// country_year or gender_year.
        #[arg(long, default_value = "country", value_parser = parse_dimension)]
        by: Dimension,
        /// `table` (aligned text) or `csv`.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
}

fn parse_dimension(name: &str) -> Result<Dimension, String> {
    Dimension::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown dimension; expected one of {}", names.join(", "))
    })
}

pub async fn stats(config: &Config, command: StatsCommand) -> anyhow::Result<ExitCode> {
    match command {
        StatsCommand::Reach { year, by, format } => {
            let policy = config.stats_policy()?;
            let period = match year {
                Some(year) => Period::year(year)
                    .filter(|_| (1000..=9999).contains(&year))
                    .ok_or_else(|| anyhow::anyhow!("{year} is not a year from 1000 to 9999"))?,
                None => Period::this_year(chrono::Utc::now()),
            };
            let db = open_database(config).await?;
            let report =
                academy_stats::reach(academy_stats::Reader::Tables(&db), period, by, &policy)
                    .await?;
            match format {
                Format::Csv => print!("{}", academy_stats::render::csv(&report.tables, &policy)?),
                Format::Table => {
                    println!(
                        "Reach from {} to {} by {} (k = {}; counts rounded to 5, \"{}\" = 1 to {} \
                         people, \"x\" = withheld)",
                        period.from(),
                        period.to(),
                        by,
                        policy.threshold(),
                        policy.fewer_label(),
                        policy.threshold() - 1
                    );
                    println!(
                        "people reached {}, defenders trained {}, course completions {}, \
                         countries reached {}\n",
                        report.people_reached.text(&policy),
                        report.defenders_trained.text(&policy),
                        report.course_completions.text(&policy),
                        report.countries_reached
                    );
                    print!("{}", academy_stats::render::text(&report.tables, &policy));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
